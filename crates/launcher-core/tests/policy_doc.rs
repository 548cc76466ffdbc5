//! The complete example in docs/policy.md is a valid policy, checked by the launcher's own code.

use launcher_core::config::SourceFile;

#[test]
fn the_documented_example_is_a_valid_policy() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/policy.md"))
        .unwrap();
    let after = doc
        .split("## Complete example")
        .nth(1)
        .expect("the page has a complete example");
    let toml = after
        .split("```toml")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a toml block");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, toml).unwrap();
    let file = SourceFile::read(&path).unwrap().unwrap();
    launcher_core::policy::check(&file).unwrap_or_else(|e| panic!("docs/policy.md's example: {e}"));

    // And a mistake in it would be caught, with its place.
    std::fs::write(
        &path,
        toml.replace("vdi_platform = \"CITRIX_413\"", "vdi_platform = \"CITRIX\""),
    )
    .unwrap();
    let file = SourceFile::read(&path).unwrap().unwrap();
    let e = launcher_core::policy::check(&file).unwrap_err().to_string();
    assert!(e.contains("vdi_platform"), "{e}");
}
