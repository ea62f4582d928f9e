//! A labelled set of supplier pairs from Mexico, Costa Rica, Panama and the US — accents,
//! legal-form suffixes, typos, trade names, shared contacts, and companies that share a name and
//! nothing else — each with the truth (the same company or not). The test measures the matcher
//! against it: `cargo test labelled -- --nocapture` prints precision and recall.
//!
//! A party is written `legal name | key=value | …` with the keys `trade`, `c` (country), `tax`,
//! `sub`, `city`, `web`, `mail`, `tel` (repeatable), `at=lat,lon` and `ref=system:value`.

use super::{Party, Strength, score};

/// Pairs that are the same company.
#[rustfmt::skip]
const SAME: &[(&str, &str)] = &[
    ("Maquinados Nájera S.A. de C.V. | c=MX | tax=MNA0102035A1", "Maquinados y Servicios NJR | c=MX | tax=MNA0102035A1"),
    ("Maquinados Nájera S.A. de C.V. | c=MX | tel=+52 33 1234 5678", "MAQUINADOS NAJERA SA DE CV | c=MX | tel=+523312345678"),
    ("Plásticos del Bajío, S.A.P.I. de C.V. | c=MX | web=https://www.plasticosbajio.com.mx", "Plasticos del Bajio | c=MX | web=plasticosbajio.com.mx/contacto"),
    ("Fundición Occidental S.A. | c=MX | mail=ventas@fundioccidental.mx", "Fundicion Ocidental SA de CV | c=MX | mail=compras@fundioccidental.mx"),
    ("Tornillería Tapatía | c=MX | tel=(33) 3615 2020", "Comercializadora GTR de Occidente SA de CV | trade=Tornilleria Tapatia | c=MX | tel=+52 33 3615 2020"),
    ("Componentes Electrónicos del Valle Central S.A. | c=CR | tax=3101456789", "Componentes Electronicos Valle Central Sociedad Anonima | c=CR | tax=3101456789"),
    ("Soluciones Térmicas Ticas S.R.L. | c=CR | web=solucionesticas.co.cr", "Soluciones Termicas Ticas Ltda | c=CR | web=http://www.solucionesticas.co.cr/"),
    ("Logística Istmeña Inc. | c=PA | tax=15559671322015DV59", "Logistica Istmena, S.A. | c=PA | tax=15559671322015DV59"),
    ("Grupo Canal Precision Corp. | c=PA | tel=+507 264 1100", "Grupo Canal Precisión | c=PA | tel=+5072641100"),
    ("Southwest Microfab, LLC | c=US | tax=861234567", "Southwest MicroFab L.L.C. | c=US | tax=861234567"),
    ("Desert Wafer Services Inc. | c=US | web=https://desertwafer.com", "Desert Wafer Services | c=US | web=www.desertwafer.com"),
    ("Johnson & Sons Machining Co. | c=US | tel=+1 (520) 555-0142", "Johnson and Sons Machining | c=US | tel=520-555-0142"),
    ("Ensambles Electrónicos de Jalisco | c=MX | at=20.6230,-103.4170", "Ensambles Electronicos de Jalisco SA | c=MX | at=20.6262,-103.4195"),
    ("Aceros Finos del Golfo | c=MX | ref=duns:812345678", "AFG Industrial S.A. de C.V. | c=MX | ref=duns:812345678"),
    ("Troqueles Regiomontanos S.A. de C.V. | c=MX | tax=TRE9803124B7", "Troqueles Regiomontanos | c=MX | tax=TRE9803214B7"),
    ("Inyección de Plásticos Apodaca | c=MX | tel=(81) 8345 6789", "Inyeccion de Plasticos Apodaca S. de R.L. de C.V. | c=MX | tel=+52 81 8345 6789"),
    ("Circuitos Impresos de Tijuana | c=MX | mail=info@citijuana.com", "Circuitos Impresos de Tijuana S.A. | c=MX | web=https://citijuana.com/es"),
    ("Moldes y Troqueles Guanajuato | c=MX | tel=+52 1 477 123 4567", "Moldes & Troqueles Guanajuato | c=MX | tel=+524771234567"),
    ("Metal Mecánica Hermanos López | c=MX | city=Querétaro", "Metalmecanica Hermanos Lopez S de RL | c=MX | city=Queretaro"),
    ("Electroplatinados de Precisión | city=León", "Electroplatinados de Precision SA de CV | c=MX | city=Leon"),
    ("Industrias Plásticas Internacionales | c=MX | tel=+524422101010 | web=ipisa.com.mx", "IPISA | c=MX | tel=+52 442 210 1010 | web=www.ipisa.com.mx"),
    ("Tecnología en Recubrimientos Avanzados | c=MX | city=Saltillo", "TRA Coatings | c=MX | city=Ramos Arizpe"),
    ("Textiles Técnicos de Puebla | c=MX | ref=os_id:MX2024123ABC12Q", "Textiles Tecnicos Puebla | c=MX | ref=os_id:MX2024123ABC12Q"),
    ("Mesa Analog Devices LLC | c=US | ref=lei:5493001KJTIIGC8Y1R12", "Mesa Analog | c=US | ref=lei:5493001KJTIIGC8Y1R12"),
    ("Dispositivos Médicos Heredia S.A. | c=CR | tax=3101998877", "Dispositivos Medicos de Heredia | c=CR | tax=3101112233 | ref=cr_cedula:3101998877"),
    ("Rio Grande Precision Machining, Inc. | c=US | mail=sales@rgpm.com", "Rio Grande Precision Machining | c=US | mail=quotes@rgpm.com"),
    ("Sonoran Test & Burn-In Services LLC | c=US | at=33.4255,-111.9400", "Sonoran Test and Burn In Services | c=US | at=33.4270,-111.9380"),
    ("Arneses Automotrices de Occidente | c=MX | city=Zapopan | at=20.7214,-103.3917 | tel=+523336001122", "Arneses Automotrices de Occidente SA de CV | c=MX | city=Guadalajara | at=20.6767,-103.3475 | tel=33 3600 1122"),
    ("Cables del Istmo, S.A. | c=PA | web=cablesdelistmo.com.pa", "Distribuidora Eléctrica Panameña S.A. | trade=Cables del Istmo | c=PA | web=https://cablesdelistmo.com.pa"),
    ("Mecánica de Precisión Cartago | c=CR | tel=2551 1234", "Mecanica de Precision de Cartago S.A. | c=CR | tel=+506 2551 1234"),
    ("Recubrimientos Industriales del Bajío S.A. de C.V. | c=MX | city=Celaya | mail=contacto@ribsa.mx", "Recubrimientos Industriales del Bajio, S. de R.L. de C.V. | c=MX | city=Celaya | mail=ventas@ribsa.mx"),
    ("Cascade Semiconductor Equipment Corp. | c=US | web=cascadesemi.com", "Cascade Semiconductor Equipement Corporation | c=US | web=https://www.cascadesemi.com"),
    ("Hnos. García Torres Maquinados | c=MX | tel=+526621234567", "Hermanos Garcia Torres Maquinados | c=MX | tel=662 123 4567"),
    ("Panamá Pacífico Electronics | c=PA | mail=info@ppelectronics.com", "Panama Pacifico Electronics Inc | c=PA | mail=ventas@ppelectronics.com"),
    ("Arneses y Cables del Norte | c=MX | tel=+526142223344", "Arneses & Cables del Norte | c=MX | tel=+52 614 222 3344"),
    ("Empaques Flexibles de San José | c=CR | city=San José", "Empaques Flexibles San Jose S.A. | c=CR | city=San Jose"),
    ("Vidrio Técnico Chiricano | c=PA | tax=8123456", "Vidrio Tecnico Chiricano S.A. | c=PA | tax=8123465"),
];

/// Pairs that are not the same company.
#[rustfmt::skip]
const DIFFERENT: &[(&str, &str)] = &[
    ("Servicios Industriales del Norte S.A. de C.V. | c=MX | city=Monterrey | tel=+528183456789", "Servicios Industriales del Norte, S. de R.L. | c=MX | city=Chihuahua | tel=+526144123456"),
    ("Grupo Precisión S.A. | c=MX | tel=+528112345678", "Grupo Precision S.A. | c=CR | tel=+50622223333"),
    ("Plásticos Modernos de Jalisco | c=MX | tax=PMJ0405068K2 | tel=+523311112222", "Plasticos Modernos de Jalisco SA de CV | c=MX | tax=PMO1107219A3 | tel=+523311112222"),
    ("Taller Mecánico Hernández | c=MX | mail=tallerhdz@gmail.com | city=Puebla", "Taller Mecanico Hernandez e Hijos | c=MX | mail=hernandezehijos@gmail.com | city=Tlaxcala"),
    ("Soldaduras Especiales | c=MX | web=https://www.facebook.com/soldadurasesp", "Soldaduras Especializadas del Centro | c=MX | web=https://facebook.com/soldacentro"),
    ("Maquiladora Alfa | c=MX | at=31.7000,-106.4200", "Ensambles Beta S.A. de C.V. | c=MX | at=31.7010,-106.4210"),
    ("Servicios Logísticos Integrales | c=MX | at=25.7500,-100.2000 | tel=+528180001111 | web=sli.com.mx", "Servicios Logisticos Integrados SA | c=MX | at=25.7505,-100.2004 | tel=+528180002222 | web=slintegrados.mx"),
    ("Consultores Ambientales Regios | c=MX | tel=+528181234000", "Importadora de Rodamientos Monterrey | c=MX | tel=+528181234000"),
    ("Acme Tool & Die Inc | c=US | tax=741234567", "Acme Tool Supply LLC | c=US | tax=742345678"),
    ("Grupo Industrial Saltillo | c=MX | tax=GIS660630AB1 | web=gis.com.mx", "Grupo Industrial Saltillo Automotriz | c=MX | tax=GIA990101CD2 | web=www.gis.com.mx"),
    ("Inversiones Montes de Oca S.A. | c=CR | tax=3101111111", "Inversiones Montes del Sol S.A. | c=CR | tax=3101222222"),
    ("Panama Trading Corp. | c=PA | tax=155123456", "Panama Trade Center Inc. | c=PA | tax=255987654"),
    ("Precision Components Inc. | c=US | sub=TX | city=Houston | tax=760000001", "Precision Components Inc. | c=US | sub=OH | city=Dayton | tax=310000002"),
    ("Delta Electronics | c=US | web=deltaelectronics.us", "Delta Electrónica S.A. de C.V. | c=MX | web=deltaelectronica.mx"),
    ("Servicios Industriales del Sur | c=MX | city=Monterrey", "Servicios Industriales del Norte | c=MX | city=Monterrey"),
    ("Transportes Rápidos de Occidente | c=MX | city=Guadalajara", "Transportes Rapidos del Oriente | c=MX | city=Puebla"),
    ("Fundiciones Unidas | c=MX | tel=+528112345678", "Fundiciones Unidas del Golfo | c=MX | tel=+528112345679 | city=Veracruz"),
    ("Electrónica Nacional | c=CR | city=Alajuela", "Químicos Industriales del Pacífico | c=CR | city=Alajuela"),
    ("Tecnologías Avanzadas de Manufactura | c=MX | mail=info@tam.com.mx", "Tecnologias Avanzadas de Manufactura Aeroespacial | c=MX | mail=info@tamaero.mx"),
    ("Sunbelt Machine Works LLC | c=US | city=Phoenix | tel=+16025550100", "Sunbelt Machine Works | c=US | city=Tulsa | tel=+19185550100"),
    ("Mueblería La Económica | c=MX | mail=laeconomica@hotmail.com", "Muebleria La Economica de Morelia | c=MX | mail=ventas.laeconomica@hotmail.com"),
    ("Grupo Canal Precision Corp. | c=PA | city=Colón", "Grupo Canal Logistics Corp. | c=PA | city=Colón"),
    ("Componentes Eléctricos de Costa Rica | c=CR | ref=duns:123456789", "Componentes Electricos de Costa Rica S.A. | c=CR | ref=duns:987654321 | city=Liberia"),
    ("Bright Path Semiconductors Inc. | c=US | web=brightpath.wixsite.com/home", "Bright Path Solar LLC | c=US | web=https://brightpathsolar.wixsite.com"),
    ("Alimentos del Valle | c=MX | city=Toluca", "Aluminios del Valle | c=MX | city=Toluca"),
    ("Servicios Industriales del Norte S.A. | c=MX | city=Saltillo | tel=+528442001111", "Servicios Industriales del Norte S.A. | c=MX | city=Hermosillo | tel=+526622003333"),
    ("Ingeniería Térmica del Istmo | c=PA | tax=8765432", "Ingenieria Termica del Istmo | c=PA | tax=1234567"),
    ("Keystone Fabrication Co. | c=US | mail=sales@keystonefab.com", "Keystone Fabricators Inc | c=US | mail=info@keystone-fabricators.com"),
    ("Moldes Industriales del Centro | c=MX | at=21.1200,-101.6800", "Moldes Industriales del Centro | c=MX | at=20.5900,-100.3900"),
    ("Cerámica Artística Tonalá | c=MX | tel=+523336830000", "Ceramica Tonala de Exportacion | c=MX | tel=+523336831111 | web=ceramicatonala.mx"),
    ("Omega Circuit Assembly | c=US | ref=cage:1ABC2", "Omega Circuit Assembly | c=MX | ref=cage:9XYZ8"),
    ("Corporación Metalúrgica Pacífico | c=CR", "Corporacion Pacifico de Seguros | c=CR"),
    ("Blue Ridge Wire Harness | c=US | sub=VA", "Red Ridge Wire & Cable | c=US | sub=VA"),
    ("Soluciones Integrales en Empaque | c=MX | city=Tijuana | tel=+526646001234", "Soluciones Integrales en Empaque | c=MX | city=Mexicali | tel=+526865554321"),
    ("Herramientas de Corte Precisas | c=MX", "Herramientas y Cortes de Precisión | c=MX | city=Celaya | mail=ventas@hcp.mx"),
    ("Atlantic Test Labs | c=US | tax=221234567 | tel=+12015550199", "Atlantic Test Labs | c=US | tax=229876543 | tel=+12015550199"),
];

/// Parses a party written as described at the top of this file.
fn party(spec: &'static str) -> Party<'static> {
    let mut fields = spec.split(" | ");
    let mut p = Party::named(fields.next().unwrap_or_default());
    for field in fields {
        let (key, value) = field
            .split_once('=')
            .unwrap_or_else(|| panic!("{spec}: {field}"));
        match key {
            "trade" => p.trade_name = Some(value),
            "c" => p.country = Some(value),
            "tax" => p.tax_id = Some(value),
            "sub" => p.subdivision = Some(value),
            "city" => p.city = Some(value),
            "web" => p.website = Some(value),
            "mail" => p.emails.push(value),
            "tel" => p.phones.push(value),
            "at" => {
                let (lat, lon) = value.split_once(',').unwrap();
                p.location = Some((lat.parse().unwrap(), lon.parse().unwrap()));
            }
            "ref" => p.external_refs.push(value.split_once(':').unwrap()),
            _ => panic!("{spec}: unknown key {key}"),
        }
    }
    p
}

/// Precision and recall of a prediction over the set: `(precision, recall, predicted, right)`.
fn measure(
    results: &[(bool, Option<Strength>)],
    predicts: impl Fn(Strength) -> bool,
) -> (f64, f64, usize, usize) {
    let predicted: Vec<bool> = results
        .iter()
        .map(|(same, s)| s.is_some_and(&predicts) && *same)
        .collect();
    let positives = results
        .iter()
        .filter(|(_, s)| s.is_some_and(&predicts))
        .count();
    let right = predicted.iter().filter(|p| **p).count();
    let matches = results.iter().filter(|(same, _)| *same).count();
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    (
        ratio(right, positives),
        ratio(right, matches),
        positives,
        right,
    )
}

#[test]
fn labelled_pairs_precision_and_recall() {
    assert!(SAME.len() + DIFFERENT.len() >= 60, "at least 60 pairs");
    assert!(
        SAME.len().abs_diff(DIFFERENT.len()) <= 2,
        "half matches, half not"
    );
    let mut results = Vec::new();
    let cases = SAME
        .iter()
        .map(|c| (true, c))
        .chain(DIFFERENT.iter().map(|c| (false, c)));
    for (same, (a, b)) in cases {
        let scored = score(&party(a), &party(b));
        // Scoring is symmetric: the query and the candidate may swap.
        let back = score(&party(b), &party(a));
        assert_eq!(
            scored.as_ref().map(|s| s.strength),
            back.map(|s| s.strength),
            "{a} / {b}"
        );
        let strength = scored.as_ref().map(|s| s.strength);
        let wrong = match strength {
            Some(Strength::Exact | Strength::Strong) => !same,
            Some(Strength::Possible) => false,
            None => same,
        };
        if wrong || !same && strength.is_some() {
            let note = if wrong { "WRONG" } else { "possible only" };
            println!("{note}: same={same} {:?}\n    {a}\n    {b}", scored);
        }
        results.push((same, strength));
    }
    let firm = |s: Strength| matches!(s, Strength::Exact | Strength::Strong);
    let (p_firm, r_firm, n_firm, _) = measure(&results, firm);
    let (p_any, r_any, n_any, _) = measure(&results, |_| true);
    println!(
        "labelled pairs: {} same, {} different\n\
         strong+exact: precision {p_firm:.3}, recall {r_firm:.3} ({n_firm} predicted)\n\
         any match:    precision {p_any:.3}, recall {r_any:.3} ({n_any} predicted)",
        SAME.len(),
        DIFFERENT.len()
    );
    assert!(p_firm >= 0.95, "precision of strong+exact {p_firm}");
    assert!(r_any >= 0.8, "recall of any match {r_any}");
}
