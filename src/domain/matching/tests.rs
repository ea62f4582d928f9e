//! Focused tests of each rule of [`super::score`].

use super::*;

const RFC: &str = "MNA0102035A1";

fn mx(name: &str) -> Party<'_> {
    Party {
        country: Some("MX"),
        ..Party::named(name)
    }
}

fn strength(q: &Party, c: &Party) -> Option<Strength> {
    score(q, c).map(|s| s.strength)
}

fn reasons(q: &Party, c: &Party) -> Vec<String> {
    score(q, c)
        .map(|s| s.reasons.iter().map(|r| r.as_str().into_owned()).collect())
        .unwrap_or_default()
}

#[test]
fn the_same_tax_id_in_the_same_country_is_exact() {
    let q = Party {
        tax_id: Some(RFC),
        ..mx("Maquinados Nájera")
    };
    let c = Party {
        tax_id: Some(RFC),
        ..mx("Otro Nombre Totalmente Distinto")
    };
    let s = score(&q, &c).unwrap();
    assert_eq!((s.score, s.strength), (1.0, Strength::Exact));
    assert_eq!(reasons(&q, &c), ["tax_id"]);
    let elsewhere = Party {
        country: Some("GT"),
        ..c.clone()
    };
    assert_ne!(
        strength(&q, &elsewhere),
        Some(Strength::Exact),
        "another country's id"
    );
}

#[test]
fn a_shared_external_reference_is_exact() {
    let q = Party {
        external_refs: vec![("duns", "150483782")],
        ..Party::named("Acme")
    };
    let c = Party {
        external_refs: vec![("lei", "HWUPKR0MPOU8FGXBT394"), ("duns", "150483782")],
        ..Party::named("Zeta Industrial")
    };
    assert_eq!(strength(&q, &c), Some(Strength::Exact));
    assert_eq!(reasons(&q, &c), ["external_ref:duns"]);
    let other = Party {
        external_refs: vec![("cage", "150483782")],
        ..c.clone()
    };
    assert_eq!(
        strength(&q, &other),
        None,
        "the same value in another system"
    );
}

#[test]
fn a_tax_id_kept_as_an_external_reference_after_a_merge_is_exact() {
    let q = Party {
        tax_id: Some(RFC),
        ..mx("Maquinados Nájera")
    };
    let c = Party {
        tax_id: Some("MNA0501017B2"),
        external_refs: vec![("mx_rfc", RFC)],
        ..mx("Maquinados Najera")
    };
    assert_eq!(strength(&q, &c), Some(Strength::Exact));
    assert_eq!(reasons(&q, &c)[0], "tax_id");
}

#[test]
fn names_alone_give_at_most_possible() {
    let q = Party {
        city: Some("Guadalajara"),
        ..mx("Maquinados Nájera S.A. de C.V.")
    };
    let c = Party {
        city: Some("GUADALAJARA"),
        ..mx("MAQUINADOS NAJERA SA DE CV")
    };
    let s = score(&q, &c).unwrap();
    assert_eq!(s.strength, Strength::Possible);
    assert!(s.score < STRONG && s.score >= POSSIBLE, "{}", s.score);
    assert_eq!(reasons(&q, &c), ["name", "city"]);
}

#[test]
fn unrelated_names_are_no_match() {
    assert_eq!(
        score(&mx("Maquinados Nájera"), &mx("Plásticos del Bajío")),
        None
    );
}

#[test]
fn names_and_one_independent_signal_are_strong() {
    let q = mx("Maquinados Nájera S.A. de C.V.");
    let c = mx("Maquinados Najera");
    let cases = [
        (
            Party {
                website: Some("https://www.maqnajera.com.mx/"),
                ..q.clone()
            },
            Party {
                website: Some("maqnajera.com.mx"),
                ..c.clone()
            },
            "website",
        ),
        (
            Party {
                emails: vec!["ventas@maqnajera.com.mx"],
                ..q.clone()
            },
            Party {
                emails: vec!["Compras@MaqNajera.com.mx"],
                ..c.clone()
            },
            "email_domain",
        ),
        (
            Party {
                emails: vec!["ventas@maqnajera.com.mx"],
                ..q.clone()
            },
            Party {
                website: Some("http://maqnajera.com.mx"),
                ..c.clone()
            },
            "email_domain",
        ),
        (
            Party {
                phones: vec!["+52 33 1234 5678"],
                ..q.clone()
            },
            Party {
                phones: vec!["+523312345678"],
                ..c.clone()
            },
            "phone",
        ),
        (
            Party {
                location: Some((20.6767, -103.3475)),
                ..q.clone()
            },
            Party {
                location: Some((20.6800, -103.3500)),
                ..c.clone()
            },
            "location",
        ),
        (
            Party {
                tax_id: Some("MNA0102035A1"),
                ..q.clone()
            },
            Party {
                tax_id: Some("MNA0120035A1"),
                ..c.clone()
            },
            "tax_id",
        ),
    ];
    for (a, b, reason) in cases {
        let s = score(&a, &b).unwrap();
        assert_eq!(s.strength, Strength::Strong, "{reason}: {}", s.score);
        assert!((STRONG..1.0).contains(&s.score), "{reason}: {}", s.score);
        assert!(reasons(&a, &b).contains(&reason.to_owned()), "{reason}");
    }
}

#[test]
fn strong_needs_the_same_country() {
    let q = Party {
        phones: vec!["+523312345678"],
        ..Party::named("Maquinados Nájera")
    };
    let c = Party {
        phones: vec!["+523312345678"],
        ..mx("Maquinados Nájera")
    };
    assert_eq!(
        strength(&q, &c),
        Some(Strength::Possible),
        "the query has no country"
    );
    let gt = Party {
        country: Some("GT"),
        ..q.clone()
    };
    assert_eq!(
        strength(&gt, &c),
        Some(Strength::Possible),
        "another country"
    );
}

#[test]
fn strong_needs_a_name_agreement() {
    let q = Party {
        phones: vec!["+523312345678"],
        website: Some("maqnajera.com.mx"),
        ..mx("Maquinados Nájera")
    };
    let c = Party {
        phones: vec!["+523312345678"],
        website: Some("maqnajera.com.mx"),
        ..mx("Grupo Industrial Tapatío")
    };
    let s = score(&q, &c).unwrap();
    assert_eq!(s.strength, Strength::Possible);
    assert!(!reasons(&q, &c).contains(&"name".to_owned()));
}

#[test]
fn free_mail_and_shared_sites_are_not_signals() {
    let q = Party {
        emails: vec!["maqnajera@gmail.com"],
        website: Some("https://facebook.com/maqnajera"),
        ..mx("Maquinados Nájera")
    };
    let c = Party {
        emails: vec!["otro@gmail.com"],
        website: Some("https://www.facebook.com/otro"),
        ..mx("Maquinados Nájera")
    };
    assert_eq!(strength(&q, &c), Some(Strength::Possible));
    assert_eq!(reasons(&q, &c), ["name"]);
}

#[test]
fn a_location_within_ten_km_is_weak() {
    let q = Party {
        location: Some((20.6767, -103.3475)),
        ..mx("Maquinados Nájera")
    };
    let c = Party {
        location: Some((20.7214, -103.3917)),
        ..mx("Maquinados Nájera")
    };
    assert_eq!(strength(&q, &c), Some(Strength::Possible));
    assert_eq!(reasons(&q, &c), ["name", "location"]);
}

#[test]
fn a_conflicting_tax_id_rules_out_strong() {
    let q = Party {
        tax_id: Some("MNA0102035A1"),
        phones: vec!["+523312345678"],
        ..mx("Maquinados Nájera")
    };
    let c = Party {
        tax_id: Some("MNO9912318Z9"),
        phones: vec!["+523312345678"],
        ..mx("Maquinados Nájera")
    };
    assert_eq!(strength(&q, &c), Some(Strength::Possible));
}

#[test]
fn the_same_name_in_another_city_with_another_phone_is_no_match() {
    let q = Party {
        city: Some("Monterrey"),
        phones: vec!["+528183456789"],
        ..mx("Servicios Industriales del Norte S.A. de C.V.")
    };
    let c = Party {
        city: Some("Chihuahua"),
        phones: vec!["+526144123456"],
        ..mx("Servicios Industriales del Norte, S. de R.L.")
    };
    assert_eq!(score(&q, &c), None);
}

#[test]
fn a_trade_name_matches_a_legal_name() {
    let q = Party {
        website: Some("tornilleria-tapatia.mx"),
        ..mx("Tornillería Tapatía")
    };
    let c = Party {
        trade_name: Some("Tornilleria Tapatia"),
        website: Some("www.tornilleria-tapatia.mx"),
        ..mx("Comercializadora GTR de Occidente S.A. de C.V.")
    };
    assert_eq!(strength(&q, &c), Some(Strength::Strong));
}

#[test]
fn locations_far_apart_are_different_places() {
    let q = Party {
        location: Some((21.12, -101.68)),
        ..mx("Moldes Industriales del Centro")
    };
    let c = Party {
        location: Some((20.59, -100.39)),
        ..mx("Moldes Industriales del Centro")
    };
    assert_eq!(score(&q, &c), None, "León and Querétaro, 140 km apart");
    let zapopan = Party {
        city: Some("Zapopan"),
        location: Some((20.7214, -103.3917)),
        ..mx("Moldes Jalisco")
    };
    let gdl = Party {
        city: Some("Guadalajara"),
        location: Some((20.6767, -103.3475)),
        ..mx("Moldes Jalisco")
    };
    assert_eq!(
        strength(&zapopan, &gdl),
        Some(Strength::Possible),
        "neighbouring municipalities"
    );
}

#[test]
fn different_leis_rule_out_strong_as_tax_ids_do() {
    let q = Party {
        phones: vec!["+12015550199"],
        external_refs: vec![("lei", "5493001KJTIIGC8Y1R12")],
        ..Party {
            country: Some("US"),
            ..Party::named("Atlantic Test Labs")
        }
    };
    let c = Party {
        external_refs: vec![("lei", "HWUPKR0MPOU8FGXBT394")],
        ..q.clone()
    };
    assert_eq!(strength(&q, &c), Some(Strength::Possible));
    let duns = Party {
        external_refs: vec![("duns", "150483782")],
        ..q.clone()
    };
    let other_site = Party {
        external_refs: vec![("duns", "812345678")],
        ..q.clone()
    };
    assert_eq!(
        strength(&duns, &other_site),
        Some(Strength::Strong),
        "a DUNS names a site"
    );
}
