//! A function configured with a custom endpoint starts and serves on a system without any
//! CA certificate (a minimal container). Its own test binary: it changes the process
//! environment (`SSL_CERT_FILE`, `SSL_CERT_DIR`, `AWS_ENDPOINT_URL_DYNAMODB`).
use shared::embedded::{open_memory, Engine};
use shared::store::table::create_table;
use shared::{ApiError, Store, StoreError};

#[tokio::test]
async fn without_ca_certificates_http_endpoints_work_and_https_ones_answer_503() {
    let empty = std::env::temp_dir().join(format!("no-ca-certs-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    // rustls-native-certs (used by the SDK and by shared::config) reads only these when set.
    std::env::set_var("SSL_CERT_FILE", empty.join("none.pem"));
    std::env::set_var("SSL_CERT_DIR", &empty);
    std::env::set_var("AWS_ACCESS_KEY_ID", "test");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    std::env::set_var("AWS_REGION", "us-east-1");

    // http://: no TLS needed, so everything works (this panicked in the SDK's trust store).
    let engine = Engine::start(open_memory().unwrap()).await.unwrap();
    std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", engine.url());
    let store = Store::new(shared::config::dynamodb_client().await, "certifications");
    create_table(store.client(), "certifications").await.expect("create the table over http://");
    assert_eq!(store.get("cert-1").await.unwrap(), None);

    // https:// to a server that cannot complete a verified handshake: a 503, not a panic.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            drop(stream);
        }
    });
    std::env::set_var("AWS_ENDPOINT_URL_DYNAMODB", format!("https://127.0.0.1:{port}"));
    let store = Store::new(shared::config::dynamodb_client().await, "certifications");
    let err = store.get("cert-1").await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert_eq!(ApiError::from(err).into_response().status(), 503);
    let _ = std::fs::remove_dir_all(&empty);
}
