//! The shape of a demo catalogue entry and how baskets are drawn from a catalogue.
//! The entries themselves live in one file per brand (`catalog_*.rs`).

use rand::Rng;
use rand::rngs::SmallRng;

/// How much stock a product has today.
#[derive(Debug, Clone, Copy)]
pub enum Stock {
    /// Not tracked (cooked to order, services, subscriptions).
    Untracked,
    /// Somewhere in `lo..=hi` units, drawn per seed.
    Between(i64, i64),
}

/// One product as the demo sells it.
#[derive(Debug, Clone, Copy)]
pub struct ProductSpec {
    pub sku: &'static str,
    pub nombre: &'static str,
    pub categoria: &'static str,
    /// Price in minor units (céntimos).
    pub precio: i64,
    pub costo: i64,
    pub stock: Stock,
    /// A JSON object, stored as `atributos`.
    pub atributos: &'static str,
    /// Relative popularity when the product opens a basket; 0 = only added to others.
    pub peso_principal: u32,
    /// Relative popularity as an extra line.
    pub peso_extra: u32,
    /// Products often bought with this one: (sku, chance in percent).
    pub acompana: &'static [(&'static str, u8)],
    /// Months ago the product was launched (`None`: always sold in the window).
    pub desde_meses: Option<u8>,
    /// Months ago the product was discontinued (then `activo = 0`).
    pub hasta_meses: Option<u8>,
}

impl ProductSpec {
    /// A product with no popularity yet (set it with [`ProductSpec::w`]) and no complements.
    pub const fn new(
        sku: &'static str,
        nombre: &'static str,
        categoria: &'static str,
        precio: i64,
        stock: Stock,
        atributos: &'static str,
    ) -> ProductSpec {
        ProductSpec {
            sku,
            nombre,
            categoria,
            precio,
            // A typical gross margin; the demo has no purchase invoices.
            costo: precio * 55 / 100,
            stock,
            atributos,
            peso_principal: 0,
            peso_extra: 0,
            acompana: &[],
            desde_meses: None,
            hasta_meses: None,
        }
    }

    /// Popularity as the main item of a basket and as an extra line.
    pub const fn w(mut self, principal: u32, extra: u32) -> ProductSpec {
        self.peso_principal = principal;
        self.peso_extra = extra;
        self
    }

    pub const fn with(mut self, acompana: &'static [(&'static str, u8)]) -> ProductSpec {
        self.acompana = acompana;
        self
    }

    pub const fn launched(mut self, months_ago: u8) -> ProductSpec {
        self.desde_meses = Some(months_ago);
        self
    }

    pub const fn discontinued(mut self, months_ago: u8) -> ProductSpec {
        self.hasta_meses = Some(months_ago);
        self
    }

    pub fn active(&self) -> bool {
        self.hasta_meses.is_none()
    }
}

/// A catalogue with its sale windows resolved to instants.
pub struct Catalog {
    pub specs: &'static [ProductSpec],
    /// Per product: sellable in `[from, until)` (unix ms).
    window: Vec<(i64, i64)>,
    /// Per product: index of each complement in `specs`.
    complements: Vec<Vec<(usize, u8)>>,
    /// Per product: `atributos` parsed once (messages quote warranty and impact).
    attributes: Vec<serde_json::Value>,
}

const MONTH_MS: i64 = 2_629_746_000; // a mean Gregorian month

impl Catalog {
    pub fn new(specs: &'static [ProductSpec], now: i64) -> Catalog {
        let window = specs
            .iter()
            .map(|p| {
                let from = p
                    .desde_meses
                    .map_or(i64::MIN, |m| now - i64::from(m) * MONTH_MS);
                let until = p
                    .hasta_meses
                    .map_or(i64::MAX, |m| now - i64::from(m) * MONTH_MS);
                (from, until)
            })
            .collect();
        let complements = specs
            .iter()
            .map(|p| {
                p.acompana
                    .iter()
                    .filter_map(|(sku, pct)| {
                        specs.iter().position(|s| s.sku == *sku).map(|i| (i, *pct))
                    })
                    .collect()
            })
            .collect();
        let attributes = specs
            .iter()
            .map(|p| serde_json::from_str(p.atributos).unwrap_or_default())
            .collect();
        Catalog {
            specs,
            window,
            complements,
            attributes,
        }
    }

    pub fn warranty_months(&self, i: usize) -> i64 {
        self.attributes[i]["garantia_meses"].as_i64().unwrap_or(0)
    }

    pub fn plastic_g(&self, i: usize) -> i64 {
        self.attributes[i]["plastico_g_evitado"]
            .as_i64()
            .unwrap_or(0)
    }

    /// When product `i` went on sale (its `creado_en`); `default` for the original range.
    pub fn launched_at(&self, i: usize, default: i64) -> i64 {
        match self.window[i].0 {
            i64::MIN => default,
            from => from,
        }
    }

    fn sellable(&self, i: usize, at: i64) -> bool {
        let (from, until) = self.window[i];
        from <= at && at < until
    }

    /// A product that opens a basket at `at`, weighted by popularity.
    pub fn pick_main(&self, rng: &mut SmallRng, at: i64) -> usize {
        self.pick(rng, at, |p| p.peso_principal)
    }

    /// An extra line at `at`.
    pub fn pick_extra(&self, rng: &mut SmallRng, at: i64) -> usize {
        self.pick(rng, at, |p| p.peso_extra)
    }

    fn pick(&self, rng: &mut SmallRng, at: i64, weight: impl Fn(&ProductSpec) -> u32) -> usize {
        let total: u64 = (0..self.specs.len())
            .filter(|&i| self.sellable(i, at))
            .map(|i| u64::from(weight(&self.specs[i])))
            .sum();
        if total == 0 {
            return 0;
        }
        let mut ticket = rng.gen_range(0..total);
        for (i, p) in self.specs.iter().enumerate() {
            if !self.sellable(i, at) {
                continue;
            }
            let w = u64::from(weight(p));
            if ticket < w {
                return i;
            }
            ticket -= w;
        }
        0
    }

    /// Whether `i` can be someone's favourite: a main product sold now or until recently.
    pub fn may_be_favourite(&self, i: usize) -> bool {
        self.specs[i].peso_principal > 0
    }

    pub fn is_sellable(&self, i: usize, at: i64) -> bool {
        self.sellable(i, at)
    }

    pub fn complements(&self, i: usize) -> &[(usize, u8)] {
        &self.complements[i]
    }
}

/// One line of a planned order: product index in the catalogue and quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub product: u16,
    pub qty: u16,
}

/// Adds `qty` of `product` to `lines`, merging with an existing line of the same product.
pub fn add_line(lines: &mut Vec<Line>, product: usize, qty: u16) {
    let product = product as u16;
    match lines.iter_mut().find(|l| l.product == product) {
        Some(l) => l.qty = l.qty.saturating_add(qty),
        None => lines.push(Line { product, qty }),
    }
}
