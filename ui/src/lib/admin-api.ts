// Typed calls to the hub's staff routes under /api/admin (hosts and moderators; a guest gets 403 `forbidden`).

import { request } from './api';
import type {
  AdminConnectionsResponse,
  AdminRoomsResponse,
  AdminSettings,
  AdminUsersResponse,
  Announcement,
  AnnouncementsResponse,
  AuditResponse,
  Ban,
  BanRequest,
  BansResponse,
  BroadcastRequest,
  BroadcastResponse,
  ClearMessagesResponse,
  EndSessionsResponse,
  KickRequest,
  MuteRequest,
  Role,
  RoleResponse,
  Room,
  SetPinRequest,
  UnmuteRequest,
  UserInfo,
} from './protocol';

const seg = (value: string | number): string => encodeURIComponent(String(value));
const user = (id: number, action: string): string => `/api/admin/users/${seg(id)}/${action}`;

export interface UserQuery {
  q?: string;
  online?: boolean;
  offset?: number;
  limit?: number;
}

/** The query string of a user listing, without the parts left out. */
export function usersQuery(query: UserQuery): string {
  const params = new URLSearchParams();
  if (query.q?.trim()) params.set('q', query.q.trim());
  if (query.online) params.set('online', 'true');
  if (query.offset) params.set('offset', String(query.offset));
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** `GET /api/admin/connections`: every open socket. */
export function getConnections(): Promise<AdminConnectionsResponse> {
  return request('GET', '/api/admin/connections');
}

/** `GET /api/admin/users?q=&online=&offset=&limit=`. */
export function getUsers(query: UserQuery = {}): Promise<AdminUsersResponse> {
  return request('GET', `/api/admin/users${usersQuery(query)}`);
}

/** `GET /api/admin/rooms`: every room with its members, subscribers, slow mode and lock. */
export function getAdminRooms(): Promise<AdminRoomsResponse> {
  return request('GET', '/api/admin/rooms');
}

export function kick(userId: number, req: KickRequest): Promise<void> {
  return request('POST', user(userId, 'kick'), req);
}

export function ban(userId: number, req: BanRequest): Promise<Ban> {
  return request('POST', user(userId, 'ban'), req);
}

export function getBans(): Promise<BansResponse> {
  return request('GET', '/api/admin/bans');
}

/** `DELETE /api/admin/bans/{id}`: lifts a ban. */
export function liftBan(banId: number): Promise<void> {
  return request('DELETE', `/api/admin/bans/${seg(banId)}`);
}

export function mute(userId: number, req: MuteRequest): Promise<void> {
  return request('POST', user(userId, 'mute'), req);
}

export function unmute(userId: number, req: UnmuteRequest): Promise<void> {
  return request('POST', user(userId, 'unmute'), req);
}

export function rename(userId: number, displayName: string): Promise<UserInfo> {
  return request('POST', user(userId, 'rename'), { display_name: displayName });
}

/** Hosts only: a moderator gets 403. */
export function setRole(userId: number, role: Role): Promise<RoleResponse> {
  return request('POST', user(userId, 'role'), { role });
}

export function clearMessages(userId: number): Promise<ClearMessagesResponse> {
  return request('POST', user(userId, 'clear-messages'));
}

export function setSlowMode(slug: string, seconds: number): Promise<Room> {
  return request('POST', `/api/admin/rooms/${seg(slug)}/slow-mode`, { seconds });
}

export function setLocked(slug: string, locked: boolean): Promise<Room> {
  return request('POST', `/api/admin/rooms/${seg(slug)}/lock`, { locked });
}

export function getSettings(): Promise<AdminSettings> {
  return request('GET', '/api/admin/settings');
}

export function putSettings(settings: AdminSettings): Promise<AdminSettings> {
  return request('PUT', '/api/admin/settings', settings);
}

export function getAnnouncements(): Promise<AnnouncementsResponse> {
  return request('GET', '/api/admin/announcements');
}

/** `POST /api/admin/announcements`: to everyone, or to a room (`room:{slug}`). */
export function announce(text: string, channel?: string): Promise<Announcement> {
  return request('POST', '/api/admin/announcements', channel ? { text, channel } : { text });
}

export function clearAnnouncement(id: number): Promise<void> {
  return request('DELETE', `/api/admin/announcements/${seg(id)}`);
}

/** A one-off notice (a toast) to everyone, a channel's subscribers or one user. */
export function broadcast(req: BroadcastRequest): Promise<BroadcastResponse> {
  return request('POST', '/api/admin/broadcast', req);
}

/** Ends every guest session: everyone but staff joins again. */
export function endGuestSessions(): Promise<EndSessionsResponse> {
  return request('POST', '/api/admin/sessions/end');
}

export function setPin(req: SetPinRequest): Promise<void> {
  return request('PUT', '/api/admin/pin', req);
}

/** `GET /api/admin/audit?before=&limit=`: newest first; `before` is the last entry id of the previous page. */
export function getAudit(before?: number, limit = 50): Promise<AuditResponse> {
  const params = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) params.set('before', String(before));
  return request('GET', `/api/admin/audit?${params}`);
}
