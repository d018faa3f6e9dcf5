// Reports the first paint the way the app reports its first screen (`ui_ready`).
requestAnimationFrame(() => {
  window.__TAURI_INTERNALS__.invoke('ui_ready', { stage: 'first_screen' });
});
