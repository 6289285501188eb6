//! Peruvian-looking people: names with two surnames, unique Lima mobile numbers, e-mails
//! derived from the name, and addresses on real streets of Lima's districts.

use std::collections::HashSet;

use rand::Rng;
use rand::rngs::SmallRng;

#[rustfmt::skip]
const FEMALE: &[&str] = &[
    "María", "Rosa", "Carmen", "Ana", "Lucía", "Sofía", "Valeria", "Camila", "Daniela", "Fiorella",
    "Milagros", "Yolanda", "Gladys", "Elena", "Patricia", "Gabriela", "Andrea", "Jimena", "Ximena",
    "Karina", "Luz", "Flor", "Mariela", "Rocío", "Claudia", "Verónica", "Paola", "Diana", "Cinthia",
    "Nataly", "Yessenia", "Pilar", "Teresa", "Alejandra", "Micaela", "Antonella", "Kiara", "Brenda",
    "Maricielo", "Nicole", "Alessandra", "Guadalupe", "Rosario", "Susana", "Vanessa", "Melissa",
    "Isabel", "Julia", "Carla", "Fernanda",
];
#[rustfmt::skip]
const MALE: &[&str] = &[
    "José", "Luis", "Carlos", "Juan", "Jorge", "Miguel", "César", "Víctor", "Pedro", "Manuel",
    "Renzo", "Diego", "Sebastián", "Mateo", "Santiago", "Alonso", "Gonzalo", "Raúl", "Julio",
    "Ricardo", "Fernando", "Alberto", "Walter", "Edwin", "Hugo", "Óscar", "Martín", "Kevin",
    "Jean Pierre", "Franco", "Bruno", "Piero", "Christian", "Rodrigo", "Eduardo", "Álvaro",
    "Iván", "Percy", "Wilmer", "Jhon", "Anthony", "Gustavo", "Héctor", "Javier", "Daniel", "Andrés",
    "Marco", "Ernesto", "Rubén", "Segundo",
];
#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "Quispe", "Flores", "Sánchez", "Rodríguez", "García", "Rojas", "Huamán", "Chávez", "Mendoza",
    "Torres", "Vásquez", "Ramírez", "Castillo", "Díaz", "Gutiérrez", "Mamani", "Espinoza", "Cruz",
    "Ramos", "Vargas", "Pérez", "López", "Condori", "Salazar", "Fernández", "Romero", "Cárdenas",
    "Gonzales", "Ríos", "Reyes", "Medina", "Aguilar", "Morales", "Paredes", "Silva", "Herrera",
    "Córdova", "Jiménez", "Villanueva", "Tello", "Ccori", "Huamaní", "Paucar", "Yupanqui", "Chumpitaz",
    "Ñaupari", "Ccahuana", "Apaza", "Ticona", "Soto", "Alvarado", "Palacios", "Zevallos", "Bustamante",
    "Valdivia", "Benavides", "Cáceres", "Delgado", "Guerrero", "Nakamura", "Tanaka", "Wong", "Chang",
    "Li", "Arana", "Príncipe", "Bazán", "Olivares", "Luna", "Campos", "Valencia", "Salas",
    "Poma", "Inga", "Cusi", "Huaranga", "Llanos", "Montoya", "Ponce", "Carrasco",
];
/// District and a few of its streets. Weights follow where a Lima shop's customers live.
#[rustfmt::skip]
const DISTRICTS: &[(&str, u32, &[&str])] = &[
    ("Miraflores", 12, &["Av. José Larco", "Av. Benavides", "Calle Schell", "Av. Pardo", "Calle Berlín", "Av. Angamos Oeste"]),
    ("San Isidro", 8, &["Av. Javier Prado Oeste", "Calle Las Begonias", "Av. Camino Real", "Av. Conquistadores"]),
    ("Santiago de Surco", 14, &["Av. Primavera", "Av. Caminos del Inca", "Av. Benavides", "Jr. Monte Rosa", "Av. El Polo"]),
    ("San Borja", 8, &["Av. San Luis", "Av. Aviación", "Av. Boulevard de San Borja", "Calle Las Artes"]),
    ("La Molina", 7, &["Av. La Molina", "Av. Raúl Ferrero", "Calle Los Fresnos", "Av. Flora Tristán"]),
    ("Barranco", 4, &["Av. Grau", "Jr. Domeyer", "Av. San Martín", "Calle Colón"]),
    ("Jesús María", 6, &["Av. Brasil", "Av. Salaverry", "Jr. Huiracocha", "Av. Cuba"]),
    ("Lince", 5, &["Av. Arequipa", "Av. Petit Thouars", "Jr. Manuel Candamo", "Av. Risso"]),
    ("Pueblo Libre", 5, &["Av. Bolívar", "Av. Sucre", "Jr. Andrés Reyes", "Av. La Mar"]),
    ("Magdalena del Mar", 4, &["Av. Javier Prado Oeste", "Jr. Castilla", "Av. Brasil"]),
    ("San Miguel", 7, &["Av. La Marina", "Av. Universitaria", "Av. Elmer Faucett", "Calle Los Cedros"]),
    ("Surquillo", 5, &["Av. Tomás Marsano", "Jr. Dante", "Av. Angamos Este"]),
    ("Los Olivos", 7, &["Av. Carlos Izaguirre", "Av. Antúnez de Mayolo", "Av. Las Palmeras"]),
    ("San Martín de Porres", 6, &["Av. Perú", "Av. Tomás Valle", "Av. Universitaria"]),
    ("Chorrillos", 5, &["Av. Defensores del Morro", "Av. Guardia Civil", "Av. Huaylas"]),
    ("Lima Cercado", 4, &["Jr. de la Unión", "Av. Tacna", "Jr. Huallaga", "Jr. Ica"]),
    ("Breña", 3, &["Av. Arica", "Av. Venezuela", "Jr. Huaraz"]),
    ("La Victoria", 3, &["Av. Canadá", "Av. Iquitos", "Jr. Gamarra"]),
    ("San Juan de Lurigancho", 5, &["Av. Próceres de la Independencia", "Av. Wiesse", "Av. Canto Grande"]),
    ("Ate", 4, &["Av. Nicolás Ayllón", "Av. Separadora Industrial", "Av. La Estrella"]),
    ("Callao", 3, &["Av. Sáenz Peña", "Av. Colonial", "Av. La Paz"]),
    ("Villa El Salvador", 2, &["Av. Revolución", "Av. El Sol", "Av. Pastor Sevilla"]),
];
const EMAIL_DOMAINS: &[(&str, u32)] = &[
    ("gmail.com", 62),
    ("hotmail.com", 18),
    ("outlook.com", 8),
    ("yahoo.es", 5),
    ("icloud.com", 4),
    ("pucp.edu.pe", 2),
    ("live.com", 1),
];

/// A generated person.
pub struct Person {
    pub first: &'static str,
    pub name: String,
    pub phone: u32,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// Keeps phones and e-mails unique within one brand.
#[derive(Default)]
pub struct People {
    phones: HashSet<u32>,
    emails: HashSet<String>,
}

pub fn weighted<'a, T>(rng: &mut SmallRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut ticket = rng.gen_range(0..total.max(1));
    for (item, w) in items {
        if ticket < *w {
            return item;
        }
        ticket -= w;
    }
    &items[0].0
}

pub fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

impl People {
    /// A new person; `email_pct` and `address_pct` are the chances (0–100) of having each.
    pub fn person(&mut self, rng: &mut SmallRng, email_pct: u32, address_pct: u32) -> Person {
        let female = rng.gen_bool(0.55);
        let first = *pick(rng, if female { FEMALE } else { MALE });
        let second = rng
            .gen_bool(0.18)
            .then(|| *pick(rng, if female { FEMALE } else { MALE }))
            .filter(|s| *s != first);
        let paternal = *pick(rng, SURNAMES);
        let maternal = rng.gen_bool(0.8).then(|| *pick(rng, SURNAMES));
        let mut name = String::with_capacity(40);
        name.push_str(first);
        for part in [second, Some(paternal), maternal].into_iter().flatten() {
            name.push(' ');
            name.push_str(part);
        }
        let phone = self.phone(rng);
        let email = (rng.gen_range(0..100) < email_pct).then(|| self.email(rng, first, paternal));
        let address = (rng.gen_range(0..100) < address_pct).then(|| address(rng));
        Person {
            first,
            name,
            phone,
            email,
            address,
        }
    }

    /// A Peruvian mobile number `9XXXXXXXX` (as a number) not used yet in this brand.
    fn phone(&mut self, rng: &mut SmallRng) -> u32 {
        loop {
            let n = rng.gen_range(900_000_000..1_000_000_000u32);
            if self.phones.insert(n) {
                return n;
            }
        }
    }

    fn email(&mut self, rng: &mut SmallRng, first: &str, surname: &str) -> String {
        let domain = *weighted(rng, EMAIL_DOMAINS);
        let first = ascii_slug(first);
        let surname = ascii_slug(surname);
        let base = match rng.gen_range(0..4) {
            0 => format!("{first}.{surname}"),
            1 => format!("{}{surname}", &first[..1]),
            2 => format!("{first}_{surname}{}", rng.gen_range(70..100)),
            _ => format!("{first}{surname}{}", rng.gen_range(1..999)),
        };
        let mut candidate = format!("{base}@{domain}");
        while !self.emails.insert(candidate.clone()) {
            candidate = format!("{base}{}@{domain}", rng.gen_range(1..10_000));
        }
        candidate
    }
}

/// `+51` followed by the nine digits.
pub fn e164(phone: u32) -> String {
    format!("+51{phone}")
}

fn address(rng: &mut SmallRng) -> String {
    let total: u32 = DISTRICTS.iter().map(|d| d.1).sum();
    let mut ticket = rng.gen_range(0..total);
    let mut district = &DISTRICTS[0];
    for d in DISTRICTS {
        if ticket < d.1 {
            district = d;
            break;
        }
        ticket -= d.1;
    }
    let street = pick(rng, district.2);
    let number = rng.gen_range(1..40) * 10 + rng.gen_range(0..10);
    match rng.gen_range(0..10) {
        0..=3 => format!(
            "{street} {number}, dpto. {}, {}, Lima",
            rng.gen_range(1..16) * 100 + rng.gen_range(1..5),
            district.0
        ),
        4 => format!(
            "{street} cuadra {}, {}, Lima",
            rng.gen_range(1..30),
            district.0
        ),
        _ => format!("{street} {number}, {}, Lima", district.0),
    }
}

/// Lowercase ASCII for e-mail local parts: accents dropped, spaces removed.
pub fn ascii_slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                'á' | 'Á' => 'a',
                'é' | 'É' => 'e',
                'í' | 'Í' => 'i',
                'ó' | 'Ó' => 'o',
                'ú' | 'Ú' | 'ü' => 'u',
                'ñ' | 'Ñ' => 'n',
                c => c.to_ascii_lowercase(),
            };
            c.is_ascii_alphanumeric().then_some(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn phones_are_unique_nine_digit_mobiles_and_emails_ascii() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut people = People::default();
        let mut seen = HashSet::new();
        for _ in 0..5_000 {
            let p = people.person(&mut rng, 100, 100);
            let phone = e164(p.phone);
            assert!(phone.starts_with("+519") && phone.len() == 12, "{phone}");
            assert!(seen.insert(phone));
            let email = p.email.unwrap();
            assert!(email.is_ascii() && email.contains('@'), "{email}");
            assert!(p.address.unwrap().ends_with(", Lima"));
        }
        assert_eq!(ascii_slug("Ñaupari Núñez"), "naupari".to_string() + "nunez");
    }
}
