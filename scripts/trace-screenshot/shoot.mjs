// Photographs one request's trace in the Aspire dashboard: finds the newest trace nginx started for
// GET / after a given time, waits until all its spans arrived, and screenshots its detail page.
// Usage: node shoot.mjs DASHBOARD_URL BROWSER_TOKEN API_KEY SINCE_UNIX_NANO OUTPUT.png
import { chromium } from "playwright-core";

const [dashboard, token, apiKey, since, output] = process.argv.slice(2);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function spans(query) {
  const response = await fetch(`${dashboard}/api/telemetry/spans?limit=10000&${query}`, { headers: { "X-API-Key": apiKey } });
  if (response.status === 404) return []; // no span from that resource yet
  if (!response.ok) throw new Error(`the dashboard's telemetry API answered ${response.status}`);
  const { data } = await response.json();
  return (data.resourceSpans ?? []).flatMap(r => {
    const service = r.resource.attributes.find(a => a.key === "service.name")?.value.stringValue;
    return r.scopeSpans.flatMap(s => s.spans.map(span => ({ ...span, service })));
  });
}

const attribute = (span, key) => span.attributes?.find(a => a.key === key)?.value;

// nginx, the app's server span and MySqlConnector's two (Open, Execute).
let traceId;
for (let attempt = 0; attempt < 60 && !traceId; attempt++) {
  const roots = (await spans("resource=nginx")).filter(s =>
    !s.parentSpanId && BigInt(s.startTimeUnixNano) >= BigInt(since) && attribute(s, "url.path")?.stringValue === "/");
  const newest = roots.sort((a, b) => (BigInt(b.startTimeUnixNano) > BigInt(a.startTimeUnixNano) ? 1 : -1))[0];
  if (newest && (await spans(`traceId=${newest.traceId}`)).length >= 4) traceId = newest.traceId;
  else await sleep(500);
}
if (!traceId) throw new Error("no complete trace of GET / reached the dashboard within 30 s");

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 380 } });
  await page.goto(`${dashboard}/login?t=${token}`);
  await page.goto(`${dashboard}/traces/detail/${traceId}`);
  // The span rows render once the page's live connection has delivered the trace.
  await page.getByText("Execute").first().waitFor({ timeout: 30000 });
  await sleep(1000);
  // setup.sh trusts the developer certificate, so the dashboard shows no banner: a picture with one would be stale at once.
  if (await page.getByText("No trusted development certificate").count() > 0) {
    throw new Error("the dashboard shows its \"No trusted development certificate\" banner: run scripts/setup.sh");
  }
  await page.screenshot({ path: output });
} finally {
  await browser.close();
}
console.log(traceId);
