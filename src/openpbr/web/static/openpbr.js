// Enhancement only: every journey works without JavaScript.
import { initAll } from '/static/nhsuk-frontend-10.6.1/nhsuk-frontend-10.6.1.min.js'

initAll()

// Tables marked data-sortable sort on their header buttons without a round trip;
// without JavaScript the same headers are links that sort on the server.
document.querySelectorAll('a[data-print]').forEach((link) => {
  link.addEventListener('click', (event) => {
    event.preventDefault()
    window.print()
  })
})

// Import progress: poll the API (same cookie) and reload when the job has finished.
const status = document.getElementById('import-status')
if (status && ['queued', 'running'].includes(status.dataset.status)) {
  const poll = async () => {
    try {
      const r = await fetch(`/v1/imports/${status.dataset.job}`, { credentials: 'same-origin' })
      if (r.ok && !['queued', 'running'].includes((await r.json()).status)) {
        window.location.reload()
        return
      }
    } catch (e) { /* keep the link: the page still works without this */ }
    setTimeout(poll, 1000)
  }
  setTimeout(poll, 1000)
}
