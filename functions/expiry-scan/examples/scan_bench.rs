//! Measures the expiry scan on the embedded dynoxide engine (or the DynamoDB endpoint in
//! `AWS_ENDPOINT_URL_DYNAMODB`): items per second, and how many items its Queries read
//! (`ScannedCount`) against the table size. Not a test: it asserts nothing and prints a
//! table of numbers.
//!
//! ```sh
//! cargo run -p expiry-scan --example scan_bench -- --total 10000 --due 100 --soon 100
//! cargo run -p expiry-scan --example scan_bench -- --total 100000 --due 100 --soon 100
//! cargo run -p expiry-scan --example scan_bench -- --total 5000 --due 5000 --soon 0   # throughput
//! ```
//!
//! The table is seeded with `TestDb::write_stored` (BatchWriteItem, 25 items a request, no
//! counts, the stream off while seeding): `--due` certifications
//! expired before now, `--soon` inside the 7-day reminder threshold, and the rest expiring
//! 100 days to ~10 years from now, outside every reminder threshold. Then it runs the scan
//! twice at the same instant: the first run does the work, the second shows what a day with
//! nothing new costs.
use std::sync::Arc;
use std::time::Instant;

use chrono::TimeDelta;
use clap::Parser;
use expiry_scan::{NoDeadline, ScanOptions, Scanner};
use shared::domain::{Clock, FixedClock};
use shared::testing::TestDb;
use shared::{Certification, Status};

#[derive(Parser)]
struct Args {
    /// Certifications in the table.
    #[arg(long, default_value_t = 10_000)]
    total: usize,
    /// Of those, already past their expiry (stored `active`).
    #[arg(long, default_value_t = 100)]
    due: usize,
    /// Of those, inside the 7-day reminder threshold.
    #[arg(long, default_value_t = 100)]
    soon: usize,
    /// Items one Query evaluates.
    #[arg(long, default_value_t = 100)]
    page_size: i32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let now = FixedClock::at("2026-03-26T10:00:00Z").now();
    let db = TestDb::start().await;

    let certs: Vec<Certification> = (0..args.total)
        .map(|i| {
            let expires_at = if i < args.due {
                now - TimeDelta::days(1 + (i % 300) as i64)
            } else if i < args.due + args.soon {
                now + TimeDelta::hours(1 + (i % 150) as i64)
            } else {
                now + TimeDelta::days(100 + (i % 3500) as i64)
            };
            Certification {
                id: format!("cert-bench-{i:07}"),
                mentor_id: format!("mentor-{}", i % 5000),
                mentor_name: Some(format!("Mentor {i}")),
                cert_type: "peer_mentor_level_2".into(),
                status: Status::Active,
                status_reason: None,
                issued_at: expires_at - TimeDelta::days(365),
                expires_at,
                renewal_count: 0,
                renewal_history: Vec::new(),
                created_at: now - TimeDelta::days(400),
                updated_at: now - TimeDelta::days(400),
                version: 1,
            }
        })
        .collect();
    let seeding = Instant::now();
    db.write_stored(&certs).await?;
    let seed_secs = seeding.elapsed().as_secs_f64();
    println!(
        "seeded {} certifications ({} due, {} soon) in {:.1} s ({:.0} items/s)",
        args.total,
        args.due,
        args.soon,
        seed_secs,
        args.total as f64 / seed_secs
    );

    let options = ScanOptions { page_size: args.page_size, ..ScanOptions::new(vec![90, 60, 30, 7]) };
    let scanner = Scanner::new(db.store(), Arc::new(FixedClock(now)), options);
    // Flips are TransactWriteItems (the record and its count moves), reminders UpdateItems.
    println!("run   | expired | reminders | pages | Query reqs | items read | TransactWriteItems | UpdateItem | seconds | items/s");
    for run in ["first", "again"] {
        db.counter.reset();
        let started = Instant::now();
        let s = scanner.run(&NoDeadline).await?;
        let secs = started.elapsed().as_secs_f64();
        let c = db.counter.snapshot();
        println!(
            "{run:5} | {:7} | {:9} | {:5} | {:10} | {:10} | {:18} | {:10} | {:7.3} | {:7.0}",
            s.expired,
            s.reminders,
            s.pages,
            c.of("Query"),
            c.query_scanned,
            c.of("TransactWriteItems"),
            c.of("UpdateItem"),
            secs,
            (s.expired + s.reminders) as f64 / secs
        );
    }
    Ok(())
}
