//! Times each query behind the client card and recommendations (a
//! profiling aid for `benches/card.rs`).
//!
//!     cargo run --release -p centrala-api --example card_profile -- [K]

use centrala_store::{demo, Store};
use chrono::NaiveDate;
use std::time::Instant;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let k: usize = std::env::args().nth(1).map_or(Ok(1), |a| a.parse())?;
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).ok_or("date")?;
    let dir = tempfile::tempdir()?;
    let store = Store::open(&format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display())).await?;
    let set = demo::generate_scaled(today, k);
    store.import("demo", "Demo", &set, vec![], "p").await?;
    let c = store.company_by_code("demo").await?.ok_or("demo")?;
    let s = store.company(c.id);
    let client = s.client_by_code("K0030").await?.ok_or("client")?;
    macro_rules! time {
        ($name:expr, $e:expr) => {{
            let t = Instant::now();
            for _ in 0..200 {
                let _ = $e;
            }
            println!("{:<20} {:>8.1} µs", $name, t.elapsed().as_secs_f64() * 1e6 / 200.0);
        }};
    }
    time!("staffing", s.staffing().await?);
    time!("client_by_code", s.client_by_code("K0030").await?);
    let staff = s.staff_by_username("op.ana").await?.ok_or("op")?;
    let order = s.create_order(client.id, staff.id, "op.ana", today, None).await?;
    time!("order", s.order(order).await?);
    time!("open_receivables", s.open_receivables(client.id).await?);
    time!("client_phones", s.client_phones(client.id).await?);
    time!("contacts", s.contacts(client.id).await?);
    time!("client_orders", s.client_orders(client.id, 5).await?);
    time!("price_rules", s.price_rules().await?);
    time!("traditional", s.traditional("retail").await?);
    time!("usual_products", s.usual_products(client.id, 6).await?);
    let p = s.product_by_sku("BE-0002").await?.ok_or("p")?;
    time!("complementary", s.complementary(&[p.id], 40).await?);
    time!("catalog (load)", s.catalog(20).await?);
    let catalog = s.catalog(20).await?;
    time!("catalog.recommend", catalog.recommend("retail", &[], 6, &[p.id], 8));
    time!("product_by_id", s.product_by_id(p.id).await?);
    time!("select 1", store.ping().await?);
    Ok(())
}
