//! README.md documents every key the parser accepts, so the reference cannot drift.

use driftvakt_config::keys;

#[test]
fn every_accepted_key_and_keyword_is_in_the_readme() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("config/README.md exists");
    let mut missing = Vec::new();
    for (table, names) in keys::ALL {
        for key in *names {
            if !readme.contains(&format!("`{key}`")) {
                missing.push(format!("{table}: `{key}`"));
            }
        }
    }
    let keywords = [
        keys::TABLE_NAMES,
        keys::TYPE_NAMES,
        keys::ORDER_NAMES,
        keys::STORE_NAMES,
        keys::FRAMING_NAMES,
        keys::MEANING_NAMES,
        keys::INFLUX_API_NAMES,
        keys::TELEMETRY_PER_NAMES,
    ];
    for word in keywords.iter().flat_map(|k| k.iter()) {
        if !readme.contains(&format!("`{word}`")) {
            missing.push(format!("value `{word}`"));
        }
    }
    for system in driftvakt_config::model::System::ALL {
        if !readme.contains(&format!("`{}`", system.key())) || !readme.contains(system.label(driftvakt_config::model::Language::Sv)) {
            missing.push(format!("system `{}` ({})", system.key(), system.label(driftvakt_config::model::Language::Sv)));
        }
    }
    assert!(
        missing.is_empty(),
        "README.md does not document: {}",
        missing.join(", ")
    );
}
