// Browser entry point: mounts the root Svelte component.
// The global styles first: components' scoped styles come after them, as they did in one sheet.
import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app element');

export default mount(App, { target });
