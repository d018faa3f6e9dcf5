// First: asks the Rust side for the start-up answer before anything else is evaluated.
import './lib/startup';
import './styles/app.css';
import { mount } from 'svelte';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

const app = mount(App, { target });
performance.mark('engage:mounted');
export default app;
