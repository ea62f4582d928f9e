//! What seeded suppliers are drawn from: name parts, countries and their industrial states (with
//! weights), and tax ids valid for each country.

use chrono::{Days, NaiveDate};
use rand::{Rng, rngs::StdRng};

pub(super) const PREFIXES: &[&str] = &[
    "Ensambles",
    "Pruebas",
    "Moldeo",
    "Logística",
    "Soluciones",
    "Ingeniería",
    "Tecnologías",
    "Servicios",
    "Manufacturas",
    "Componentes",
    "Microelectrónica",
    "Fotónica",
    "Empaques",
    "Calibraciones",
    "Automatización",
    "Maquinados",
    "Químicos",
    "Diseños",
    "Laboratorios",
    "Metrología",
];
pub(super) const NAMES: &[&str] = &[
    "del Bajío",
    "Nájera",
    "Peñasco",
    "Núñez",
    "Ibáñez",
    "de Occidente",
    "Regiomontanos",
    "Jaliscienses",
    "de la Frontera",
    "Peña",
    "Muñoz",
    "Álvarez",
    "Gómez",
    "Hernández",
    "Orozco",
    "Quintana",
    "Cañada",
    "Sánchez",
    "Ortíz",
    "Montaño",
    "Avilés",
    "Solís",
    "del Pacífico",
    "Tapatíos",
    "Córdoba",
    "Durán",
    "Bolaños",
    "Carreño",
    "Zúñiga",
    "Echeverría",
];
pub(super) const SUFFIXES: &[&str] = &[
    "S.A. de C.V.",
    "S. de R.L. de C.V.",
    "S.A.P.I. de C.V.",
    "S.A.",
    "Ltda.",
    "Inc.",
    "LLC",
];

/// (subdivision, weight, lat, lon) per country, weights skewed toward the industrial states.
pub(super) fn places(country: &str) -> &'static [(&'static str, u32, f64, f64)] {
    match country {
        "MX" => &[
            ("MX-JAL", 20, 20.67, -103.35),
            ("MX-NLE", 15, 25.67, -100.31),
            ("MX-CHH", 12, 28.63, -106.07),
            ("MX-BCN", 10, 32.51, -117.04),
            ("MX-SON", 6, 29.07, -110.96),
            ("MX-QUE", 6, 20.59, -100.39),
            ("MX-GUA", 6, 21.12, -101.68),
            ("MX-AGU", 4, 21.88, -102.29),
            ("MX-COA", 4, 25.42, -101.0),
            ("MX-TAM", 4, 26.07, -98.3),
            ("MX-CMX", 5, 19.43, -99.13),
            ("MX-MEX", 4, 19.29, -99.65),
            ("MX-PUE", 2, 19.04, -98.2),
            ("MX-SLP", 2, 22.15, -100.98),
        ],
        "US" => &[
            ("US-TX", 40, 30.27, -97.74),
            ("US-AZ", 25, 33.45, -112.07),
            ("US-CA", 20, 37.34, -121.89),
            ("US-NM", 15, 35.08, -106.65),
        ],
        "CR" => &[
            ("CR-H", 50, 10.0, -84.12),
            ("CR-SJ", 35, 9.93, -84.08),
            ("CR-A", 15, 10.02, -84.21),
        ],
        "PA" => &[("PA-8", 80, 8.98, -79.52), ("PA-3", 20, 9.36, -79.9)],
        "GT" => &[("GT-01", 100, 14.63, -90.51)],
        "CO" => &[("CO-ANT", 60, 6.24, -75.58), ("CO-DC", 40, 4.71, -74.07)],
        _ => &[("BR-SP", 100, -23.55, -46.63)],
    }
}

pub(super) const COUNTRIES: &[(&str, u32)] = &[
    ("MX", 70),
    ("US", 10),
    ("CR", 8),
    ("PA", 5),
    ("GT", 3),
    ("CO", 2),
    ("BR", 2),
];

pub(super) fn weighted<'a, T>(
    rng: &mut StdRng,
    items: &'a [T],
    weight: impl Fn(&T) -> u32,
) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut pick = rng.gen_range(0..total);
    for item in items {
        let w = weight(item);
        if pick < w {
            return item;
        }
        pick -= w;
    }
    &items[items.len() - 1]
}

/// A tax id valid for the country and unique by `n`.
pub(super) fn tax_id(country: &str, n: u64, rng: &mut StdRng) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    match country {
        "MX" => {
            let letters: String = (0..3)
                .map(|i| LETTERS[((n / 26u64.pow(i)) % 26) as usize] as char)
                .collect();
            let day = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
                + Days::new((n / 17_576) % 20_000);
            format!(
                "{letters}{}{}{:02}",
                day.format("%y%m%d"),
                LETTERS[rng.gen_range(0..26)] as char,
                n % 100
            )
        }
        "CR" => format!(
            "3{}{:06}",
            ["101", "102", "103", "104", "105"][(n / 1_000_000 % 5) as usize],
            n % 1_000_000
        ),
        "PA" => format!("{}2{}", 100_000 + n, 1990 + n % 35),
        "US" => format!(
            "{}{:07}",
            [12, 20, 30, 45, 54, 61, 74, 81, 91, 98][(n / 10_000_000 % 10) as usize],
            n % 10_000_000
        ),
        _ => format!("S{n:09}"),
    }
}
