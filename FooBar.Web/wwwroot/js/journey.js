// Fills in what this browser measured for this page (Navigation Timing): its own lookup of the name and its connection
// beside the stack's DNS answer (steps 2 and 3), and the whole request in the last step.
window.addEventListener("load", () => {
    // loadEventEnd is only set once the load handlers have run.
    setTimeout(() => {
        const [navigation] = performance.getEntriesByType("navigation");
        if (!navigation) {
            return;
        }
        const ms = value => `${value.toFixed(1)} ms`;
        const fill = (id, text) => {
            const target = document.getElementById(id);
            if (target) {
                target.textContent = text;
            }
        };
        const lookup = navigation.domainLookupEnd - navigation.domainLookupStart;
        const connect = navigation.connectEnd - navigation.connectStart;
        fill("browser-dns", ms(lookup));
        fill("browser-connect", ms(connect));
        fill("browser-timing",
            `DNS ${ms(lookup)}, ` +
            `connect ${ms(connect)}, ` +
            `request to first byte ${ms(navigation.responseStart - navigation.requestStart)}, ` +
            `whole page ${ms(navigation.responseEnd - navigation.startTime)} ` +
            `(loaded after ${ms(navigation.loadEventEnd - navigation.startTime)})`);
    }, 0);
});
