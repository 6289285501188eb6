// End-to-end test of the staff UI in headless Chromium (run it through run.sh).
// Logs in, creates a customer, takes a phone order, moves it to "entregado" on the board
// while a second session watches the card move live, switches language, proves a hostile
// customer name renders as text, and saves screenshots of the main screens.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createHmac } from "node:crypto";

const BASE = process.env.BASE_URL;
const PASSWORD = process.env.PASSWORD;
const SHOTS = process.env.SCREENSHOTS;
const XSS = "<img src=x onerror=alert(1)>";
assert.ok(BASE && PASSWORD && SHOTS, "run through tests/browser/run.sh");
mkdirSync(SHOTS, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

let failures = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name}\n     ${e && e.stack ? e.stack.split("\n").slice(0, 4).join("\n     ") : e}`);
    // Later steps build on earlier ones: stop at the first failure.
    await browser.close();
    process.exit(1);
  }
}

// A 10-inch tablet in landscape: what the counter uses.
const TABLET = { width: 1280, height: 800 };

async function session(email, viewport = TABLET) {
  const context = await browser.newContext({ viewport, locale: "es-PE" });
  const page = await context.newPage();
  const problems = [];
  page.on("dialog", async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  await page.goto(`${BASE}/login`);
  await page.fill("#email", email);
  await page.fill("#clave", PASSWORD);
  await Promise.all([page.waitForURL(/\/m\/[a-z-]+\//), page.click("button[type=submit]")]);
  await page.goto(`${BASE}/m/gollos/pedidos`);
  return { context, page, problems };
}

const shot = (page, name) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });

// ---------------------------------------------------------------------------------------
let A, B, orderId;

await step("login page and wrong password", async () => {
  const ctx = await browser.newContext({ viewport: TABLET, locale: "es-PE" });
  const p = await ctx.newPage();
  await p.goto(`${BASE}/login`);
  await shot(p, "01-login");
  await p.fill("#email", "caja@gollos.pe");
  await p.fill("#clave", "no-es-la-clave");
  await p.click("button[type=submit]");
  await p.getByText("Correo o contraseña incorrectos.").waitFor();
  await ctx.close();
});

await step("log in (manager) and land on the orders board", async () => {
  A = await session("encargada@gollos.pe");
  await A.page.getByRole("heading", { name: "Pedidos", level: 1 }).waitFor();
  const cookies = await A.context.cookies();
  const c = cookies.find((c) => c.name === "autonomo_sesion");
  assert.ok(c && c.httpOnly && c.sameSite === "Lax", "session cookie is HttpOnly + Lax");
});

await step("create a customer", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/clientes/nuevo`);
  await p.fill("#f-nombre", "Rosa Díaz Mendoza");
  await p.fill("#f-telefono", "987 654 321");
  await p.fill("#f-email", "rosa.diaz@correo.pe");
  await p.fill("#f-direccion", "Av. Arequipa 1234, Lince");
  await p.fill("#f-etiquetas", "vip, oficina");
  await p.check("input[name=consentimiento]");
  await Promise.all([p.waitForURL(/\/clientes\/\d+/), p.click("main button[type=submit]")]);
  assert.equal((await p.textContent("[data-customer-name]")).trim(), "Rosa Díaz Mendoza");
  await p.fill("#nota", "Prefiere que la llamen después de las 6 pm.");
  await Promise.all([p.waitForURL(/hecho=nota/), p.click("form[action$='/notas'] button")]);
});

await step("a hostile customer name renders as text, never runs", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/clientes/nuevo`);
  await p.fill("#f-nombre", XSS);
  await Promise.all([p.waitForURL(/\/clientes\/\d+/), p.click("main button[type=submit]")]);
  const h1 = p.locator("[data-customer-name]");
  assert.equal((await h1.textContent()).trim(), XSS, "the name is shown literally");
  assert.equal(await h1.locator("img").count(), 0, "no <img> element was created");
  await p.goto(`${BASE}/m/gollos/clientes?q=img`);
  const cell = p.locator("#rows a.title").first();
  assert.equal((await cell.textContent()).trim(), XSS);
  assert.equal(await p.locator("#rows img").count(), 0);
  assert.deepEqual(A.problems.filter((x) => x.startsWith("dialog")), [], "no alert() ran");
});

await step("search as you type (htmx) narrows the list without reload", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/clientes`);
  await p.evaluate(() => { window.__noReload = 1; });
  await p.fill("#q", "rosa");
  await p.waitForFunction(() => document.querySelectorAll("#rows tbody tr").length === 1);
  assert.equal(await p.evaluate(() => window.__noReload), 1);
  await p.fill("#q", "");
  await p.waitForFunction(() => document.querySelectorAll("#rows tbody tr").length > 3);
  await shot(p, "03-customers");
});

await step("second session opens the board", async () => {
  B = await session("caja@gollos.pe");
  await B.page.goto(`${BASE}/m/gollos/pedidos`);
  await B.page.locator(".live.on").waitFor({ timeout: 5000 });
  await B.page.evaluate(() => { window.__noReload = 1; });
});

await step("take a phone order: phone, new customer name, products, one tap", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/pedidos/nuevo`);
  await p.fill("#cliente", "912 345 678");
  await p.getByText("Cliente nuevo", { exact: false }).first().waitFor();
  await p.fill("#nombre-nuevo", "Martín Salazar");
  const tile = (name) => p.locator(".tile", { has: p.getByText(name, { exact: true }) });
  await tile("1/2 Pollo a la brasa").locator("[data-step='1']").click();
  await tile("1/2 Pollo a la brasa").locator("[data-step='1']").click();
  await p.click("[data-category-chip='Bebidas']");
  await tile("Inca Kola 500 ml").locator("[data-step='1']").click();
  await p.click("[data-category-chip='']");
  await p.fill("#notas", "Sin ají, con extra cremas. Recoge a las 8.");
  assert.equal((await p.textContent("[data-total]")).trim(), "S/ 59.30");
  await shot(p, "02-new-order");
  await Promise.all([p.waitForURL(/hecho=\d+/), p.click("[data-submit]")]);
  orderId = new URL(p.url()).searchParams.get("hecho");
  await p.getByText(`#${orderId}`).first().waitFor();
});

const cardIn = (page, column) =>
  page.locator(`[data-column='${column}'] [data-card='${orderId}']`);

await step("the other session sees the new order appear live", async () => {
  await cardIn(B.page, "confirmado").waitFor({ timeout: 5000 });
});

await step("move it to entregado on the board while the other session follows live", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/pedidos`);
  await shot(p, "04-board");
  let from = "confirmado";
  for (const to of ["en_preparacion", "listo", "entregado"]) {
    await cardIn(p, from).locator(`[data-move='${to}']`).click();
    await cardIn(p, to).waitFor({ timeout: 5000 });
    await cardIn(B.page, to).waitFor({ timeout: 5000 });
    from = to;
  }
  assert.equal(await B.page.evaluate(() => window.__noReload), 1, "the watcher never reloaded");
});

await step("kitchen view and printable ticket", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/pedidos/nuevo`);
  const tile = (name) => p.locator(".tile", { has: p.getByText(name, { exact: true }) });
  await p.fill("#cliente", "987111002");
  await p.getByText("Jorge Quispe").first().waitFor();
  await tile("Combo familiar").locator("[data-step='1']").click();
  await tile("Chicha morada 1 L").locator("[data-step='1']").click();
  await Promise.all([p.waitForURL(/hecho=\d+/), p.click("[data-submit]")]);
  await p.goto(`${BASE}/m/gollos/cocina`);
  await p.locator(".k-card.new").first().waitFor();
  await shot(p, "05-kitchen");
  await p.goto(`${BASE}/m/gollos/pedidos/${orderId}`);
  await p.getByText("Entregado").first().waitFor();
  await shot(p, "06-ticket");
});

await step("customer page with its timeline", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/clientes?q=Martín`);
  await Promise.all([p.waitForURL(/\/clientes\/\d+$/), p.locator("#rows a.title").first().click()]);
  await p.getByText(`Pedido #${orderId}`).waitFor();
  await p.goto(`${BASE}/m/gollos/clientes?q=Rosa`);
  await Promise.all([p.waitForURL(/\/clientes\/\d+$/), p.locator("#rows a.title").first().click()]);
  await shot(p, "07-customer");
});

await step("products, summary and settings", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/productos`);
  await shot(p, "08-products");
  // Inline edit: change a price, leave the field, the row saves itself (htmx).
  const row = p.locator("tr", { has: p.getByText("Papas fritas", { exact: true }) });
  await row.locator("input[name=precio]").fill("9.20");
  await row.locator("input[name=precio]").press("Tab");
  await p.locator("tr", { has: p.getByText("Papas fritas", { exact: true }) }).getByText("Guardado").waitFor();
  await p.goto(`${BASE}/m/gollos/pedidos/nuevo`);
  await p.getByText("S/ 9.20").waitFor();
  await p.goto(`${BASE}/m/gollos/resumen`);
  await shot(p, "09-summary");
  await p.goto(`${BASE}/m/gollos/ajustes`);
  await shot(p, "10-settings");
});

await step("switch language to English and back", async () => {
  const p = A.page;
  await p.goto(`${BASE}/m/gollos/pedidos`);
  await p.click(".usermenu summary");
  await Promise.all([p.waitForURL(/\/m\/gollos\/pedidos/), p.click("button[lang=en]")]);
  await p.getByRole("heading", { name: "Orders", level: 1 }).waitFor();
  assert.equal(await p.getAttribute("html", "lang"), "en");
  await shot(p, "11-board-en");
  // The other person keeps Spanish.
  await B.page.reload();
  await B.page.getByRole("heading", { name: "Pedidos", level: 1 }).waitFor();
  await p.click(".usermenu summary");
  await Promise.all([p.waitForURL(/\/m\/gollos\/pedidos/), p.click("button[lang=es]")]);
  await p.getByRole("heading", { name: "Pedidos", level: 1 }).waitFor();
});

await step("staff sees no settings; a tablet in portrait still works", async () => {
  const nav = await B.page.locator(".mainnav").textContent();
  assert.ok(!nav.includes("Ajustes"), "staff has no settings link");
  const res = await B.page.goto(`${BASE}/m/gollos/ajustes`);
  assert.equal(res.status(), 403);
  const portrait = await session("caja@gollos.pe", { width: 800, height: 1280 });
  await portrait.page.goto(`${BASE}/m/gollos/pedidos/nuevo`);
  await shot(portrait.page, "12-new-order-portrait");
  await portrait.context.close();
});

// A customer writes on WhatsApp (a signed webhook, as Meta sends it) and asks for a person:
// the open inbox shows the chat live; staff open it and answer.
async function whatsappMessage(from, name, body) {
  const payload = JSON.stringify({
    object: "whatsapp_business_account",
    entry: [{ id: "104856302947731", changes: [{ field: "messages", value: {
      messaging_product: "whatsapp",
      metadata: { display_phone_number: "51999000111", phone_number_id: process.env.WA_PHONE_ID },
      contacts: [{ profile: { name }, wa_id: from }],
      messages: [{ from, id: `wamid.browser.${Date.now()}`, timestamp: String(Math.floor(Date.now() / 1000)),
        type: "text", text: { body } }],
    } }] }],
  });
  const sig = "sha256=" + createHmac("sha256", process.env.WA_APP_SECRET).update(payload).digest("hex");
  const res = await fetch(`${BASE}/api/webhooks/whatsapp`, {
    method: "POST", headers: { "Content-Type": "application/json", "X-Hub-Signature-256": sig }, body: payload,
  });
  assert.equal(res.status, 200, "webhook accepted");
}

await step("inbox: a WhatsApp message asking for a person appears live; staff answer it", async () => {
  const p = B.page;
  await p.goto(`${BASE}/m/gollos/bandeja`);
  await p.getByRole("heading", { name: "Bandeja", level: 1 }).waitFor();
  await p.locator("[data-live-badge].on").waitFor();
  await whatsappMessage("51987111099", "Rosa Mendoza", "Hola, quiero hablar con una persona por favor");
  const row = p.locator("#inbox-list li", { hasText: "Rosa Mendoza" });
  await row.waitFor({ timeout: 10000 });
  await Promise.all([p.waitForURL(/\/bandeja\/\d+/), row.locator("a").click()]);
  await p.getByText("quiero hablar con una persona").first().waitFor();
  await p.locator("#reply-text").fill("Hola Rosa, soy Diego. ¿En qué te ayudo?");
  await p.click(".reply button[type=submit]");
  await p.locator(".msg-row.out", { hasText: "soy Diego" }).waitFor();
  assert.equal(await p.locator("#reply-text").inputValue(), "", "the box is empty after sending");
  await shot(p, "13-inbox");
  // Assign to me, then the "mine" filter lists it.
  await p.click("button[value=asignarme]");
  await p.locator(".thread-head .badge", { hasText: "Asignada a" }).waitFor();
  await p.goto(`${BASE}/m/gollos/bandeja?filtro=mias`);
  await p.locator("#inbox-list li", { hasText: "Rosa Mendoza" }).waitFor();
});

await step("no script errors and no CSP violations on any screen", async () => {
  const bad = [...A.problems, ...B.problems].filter((x) => !x.includes("403"));
  assert.deepEqual(bad, [], "problems:\n" + bad.join("\n"));
});

await browser.close();
if (failures) {
  console.log(`\n${failures} browser step(s) failed`);
  process.exit(1);
}
console.log("\nall browser steps passed; screenshots in " + SHOTS);
