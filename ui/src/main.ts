// Browser entry point: mounts the root Svelte component.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import './party.css';

const target = document.getElementById('app');
if (!target) throw new Error('missing #app element');

export default mount(App, { target });
