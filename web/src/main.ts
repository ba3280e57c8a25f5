import './style.css';
import { App } from './app.js';
import { defaultServerUrl } from './connection.js';

const root = document.getElementById('app');
if (root) new App(root, defaultServerUrl(), sessionStorage).start();
