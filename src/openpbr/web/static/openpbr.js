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
