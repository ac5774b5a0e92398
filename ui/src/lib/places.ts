// Places of the venue: staff define them (with a QR code each); a guest who scanned one checks in and chats there.

import { request } from './api';
import type { Place, PlaceVisit, PlacesResponse } from './protocol';

const seg = (id: number): string => encodeURIComponent(String(id));

/** The check-in key a place's QR code link carries (`?key=`), or null when the page was opened without one. */
export function readPlaceKey(search: string): string | null {
  const key = new URLSearchParams(search).get('key');
  return key && /^[0-9a-f]{8,64}$/i.test(key) ? key : null;
}

/** The place's page without its key (what the address bar keeps once the guest checked in). */
export function placePath(id: number): string {
  return `/place/${seg(id)}`;
}

/** A place's QR code, for staff (an SVG of its check-in link). */
export function placeQrUrl(id: number): string {
  return `/api/admin/places/${seg(id)}/qr.svg`;
}

/** How long a check-in still admits its guest, in words; null once it has expired. */
export function admittedFor(visit: PlaceVisit, now: number): string | null {
  if (visit.admitted_until === undefined || visit.admitted_until <= now) return null;
  const minutes = Math.ceil((visit.admitted_until - now) / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

export const getPlace = (id: number): Promise<PlaceVisit> => request('GET', `/api/places/${seg(id)}`);
export const checkIn = (id: number, key: string): Promise<PlaceVisit> => request('POST', `/api/places/${seg(id)}/check-in`, { key });
export const listPlaces = (): Promise<PlacesResponse> => request('GET', '/api/admin/places');
export const createPlace = (name: string): Promise<Place> => request('POST', '/api/admin/places', { name });
export const renamePlace = (id: number, name: string): Promise<Place> => request('PUT', `/api/admin/places/${seg(id)}`, { name });
export const deletePlace = (id: number): Promise<void> => request('DELETE', `/api/admin/places/${seg(id)}`);
