// Fills in the journey page's last step with what this browser measured (Navigation Timing).
window.addEventListener("load", () => {
    // loadEventEnd is only set once the load handlers have run.
    setTimeout(() => {
        const [navigation] = performance.getEntriesByType("navigation");
        const target = document.getElementById("browser-timing");
        if (!navigation || !target) {
            return;
        }
        const ms = value => `${value.toFixed(1)} ms`;
        target.textContent =
            `DNS ${ms(navigation.domainLookupEnd - navigation.domainLookupStart)}, ` +
            `connect ${ms(navigation.connectEnd - navigation.connectStart)}, ` +
            `request to first byte ${ms(navigation.responseStart - navigation.requestStart)}, ` +
            `whole page ${ms(navigation.responseEnd - navigation.startTime)} ` +
            `(loaded after ${ms(navigation.loadEventEnd - navigation.startTime)})`;
    }, 0);
});
