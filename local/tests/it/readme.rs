//! The README's shell examples that talk to the local server, run as written against
//! `local-api --memory` (on a free port instead of 3000): each `sh` block that sets
//! `API=http://127.0.0.1:3000/...` runs under `bash -eu`, and the statuses the server logs
//! must be the ones listed here, in order, so an example that stops working (a cursor that
//! is not there, a renamed route) fails this test. Needs `bash`, `curl` and `sed`.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_local-api");
const README: &str = include_str!("../../../README.md");

/// The `sh` blocks of the README that call the local server.
fn examples() -> Vec<&'static str> {
    README
        .split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block))
        .filter(|block| block.contains("API=http://127.0.0.1:3000/"))
        .collect()
}

#[test]
fn the_readme_examples_work_as_written() {
    let blocks = examples();
    // "Try every endpoint" and "Safe retries and concurrent edits".
    assert_eq!(blocks.len(), 2, "the README's local examples: {blocks:#?}");
    let expected: [&[u16]; 2] = [
        // create, get, renew, status, list, two creates, first page, next page, expiring,
        // delete, then the three errors.
        &[201, 200, 200, 200, 200, 201, 201, 200, 200, 200, 200, 404, 405, 400],
        // the same POST twice, the same key with another body, create, read the ETag, PUT with
        // it, PUT with it again (stale), DELETE with it (stale).
        &[201, 201, 422, 201, 200, 200, 412, 412],
    ];

    let mut server = Command::new(BIN)
        .args(["--memory", "--addr", "127.0.0.1:0", "--events", "/dev/null"])
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .env_remove("TABLE_NAME")
        .env_remove("LOCAL_API_AUTH")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start local-api");
    let stdout = server.stdout.take().expect("piped stdout");
    let statuses = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&statuses);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(v) = serde_json::from_str::<Value>(&line) else { continue };
            if let Some(url) = v["fields"]["url"].as_str() {
                let _ = tx.send(url.to_owned());
            }
            if let Some(status) = v["fields"]["status"].as_u64() {
                sink.lock().unwrap().push(status as u16);
            }
        }
    });
    let Ok(url) = rx.recv_timeout(Duration::from_secs(60)) else {
        let _ = server.kill();
        panic!("no start-up line within 60 s");
    };

    let mut failure = None;
    for (block, expected) in blocks.iter().zip(expected) {
        statuses.lock().unwrap().clear();
        let script = block.replace("http://127.0.0.1:3000", &url);
        let out = Command::new("bash").args(["-eu", "-c", &script]).output().expect("run bash");
        // The access log line is written once the response is; give the reader a moment.
        std::thread::sleep(Duration::from_millis(200));
        let got = statuses.lock().unwrap().clone();
        if !out.status.success() || got != expected {
            failure = Some(format!(
                "{script}\nexit {}, statuses {got:?}, expected {expected:?}\nstdout:\n{}\nstderr:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
            break;
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    if let Some(failure) = failure {
        panic!("a README example does not work as written:\n{failure}");
    }
}
