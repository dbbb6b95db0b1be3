//! Writes an import folder of about N rows for the import benchmark:
//! the demo company's files, with orders.csv grown to fill N.
//!
//!     cargo run --release -p centrala-store --example gen-import -- DIR 100000

use centrala_store::{demo, import::Row};
use chrono::{Days, NaiveDate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().ok_or("usage: gen-import DIR ROWS")?);
    let rows: usize = args.next().ok_or("usage: gen-import DIR ROWS")?.parse()?;
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).ok_or("date")?;
    let mut set = demo::generate(today);
    let base = set.order_lines.clone();
    let mut copy = 0;
    while set.len() < rows {
        copy += 1;
        for r in &base {
            if set.len() >= rows {
                break;
            }
            let mut rec = r.rec.clone();
            rec.order_no = format!("{}-{copy}", rec.order_no);
            rec.date = rec.date.checked_sub_days(Days::new(400 * copy)).unwrap_or(rec.date);
            set.order_lines.push(Row { line: 0, rec });
        }
    }
    set.write_dir(&dir)?;
    println!("{} rows written to {}", set.len(), dir.display());
    Ok(())
}
