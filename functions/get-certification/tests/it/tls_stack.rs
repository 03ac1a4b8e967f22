//! The TLS stack linked into the Lambda binary, checked without timing anything (issue 19).
//!
//! AWS-LC's CPU-jitter entropy source (`jent_*`) seeded its DRBG on the first TLS use and was
//! ~70% of a cold start over TLS (34 ms of CPU; 439 ms in a 128 MB function's CPU share).
//! `.cargo/config.toml` builds AWS-LC without it (`AWS_LC_SYS_NO_JITTER_ENTROPY=1`: seeded from
//! the OS's getrandom instead). A build that loses that setting (a `cargo` run outside the
//! workspace, a builder that clears the environment) links `jent_*` again; this test then
//! fails. It reads the debug binary cargo builds for the tests, which keeps its symbol table.
use std::path::Path;

const BINARY: &str = env!("CARGO_BIN_EXE_get-certification");

fn binary() -> Vec<u8> {
    std::fs::read(BINARY).unwrap_or_else(|e| panic!("read {BINARY}: {e}"))
}

/// Occurrences of `needle` in `haystack` (a few hundred MB of debug binary: memchr-style scan
/// for the first byte, then a compare).
fn count(haystack: &[u8], needle: &[u8]) -> usize {
    let (first, rest) = needle.split_first().expect("a needle");
    let mut n = 0;
    let mut at = 0;
    while let Some(i) = haystack[at..].iter().position(|b| b == first) {
        let start = at + i + 1;
        if haystack[start..].starts_with(rest) {
            n += 1;
        }
        at = start;
    }
    n
}

#[test]
fn the_binary_links_no_cpu_jitter_entropy() {
    let bin = binary();
    let found = count(&bin, b"jent_");
    assert_eq!(
        found,
        0,
        "{} contains {found} `jent_` symbol(s): AWS-LC was built with CPU-jitter entropy, which \
         stalls the first TLS handshake of every cold start. Set AWS_LC_SYS_NO_JITTER_ENTROPY=1 \
         for this build (.cargo/config.toml [env] does it for cargo, cargo lambda and sam build) \
         and rebuild aws-lc-sys.",
        Path::new(BINARY).display()
    );
}

#[test]
fn the_binary_links_rustls_on_aws_lc() {
    let bin = binary();
    // The SDK's HTTPS client: rustls, with AWS-LC (its symbols carry the `aws_lc_<version>_`
    // prefix) as the crypto provider, and its DRBG, which now seeds from the OS alone.
    assert!(count(&bin, b"rustls") > 0, "no rustls in {BINARY}");
    assert!(count(&bin, b"aws_lc_rs") > 0, "no aws-lc-rs in {BINARY}");
    assert!(count(&bin, b"RAND_bytes") > 0, "no AWS-LC DRBG in {BINARY}");
}
