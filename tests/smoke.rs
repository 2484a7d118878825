mod common;
use common::Env;

#[test]
fn init_then_whoami() {
    let env = Env::new();
    let out = env.run(&["whoami", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    assert_eq!(v["email"], "ada@example.com");
    assert_eq!(v["role"], serde_json::json!(["full-admin"]), "the key is role (SPEC §4)");
    assert_eq!(v["global_roles"], serde_json::json!(["global-admin"]));
}
