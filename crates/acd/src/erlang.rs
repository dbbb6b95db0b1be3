//! Erlang C: the textbook M/M/N queue, for staffing estimates and to check
//! that the engine behaves as a correct queue.

/// The probability that a contact has to wait, with `agents` agents and
/// `traffic` Erlangs offered (arrival rate × mean handle time).
pub fn erlang_c(agents: u32, traffic: f64) -> f64 {
    if f64::from(agents) <= traffic {
        return 1.0;
    }
    // Erlang B by its stable recursion, then C from B.
    let mut b = 1.0;
    for k in 1..=agents {
        b = traffic * b / (f64::from(k) + traffic * b);
    }
    let n = f64::from(agents);
    n * b / (n - traffic * (1.0 - b))
}

/// Mean wait of all contacts (average speed of answer), in the unit of
/// `handle`.
pub fn asa(agents: u32, traffic: f64, handle: f64) -> f64 {
    erlang_c(agents, traffic) * handle / (f64::from(agents) - traffic)
}

/// Share of contacts answered within `t` (same unit as `handle`).
pub fn service_level(agents: u32, traffic: f64, handle: f64, t: f64) -> f64 {
    1.0 - erlang_c(agents, traffic) * (-(f64::from(agents) - traffic) * t / handle).exp()
}

/// The fewest agents that reach `target` service level within `t`.
pub fn agents_for(traffic: f64, handle: f64, t: f64, target: f64) -> u32 {
    let mut n = (traffic.ceil() as u32).max(1);
    while service_level(n, traffic, handle, t) < target && n < 100_000 {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_closed_form() {
        // Reference values from the textbook formula
        // C = (A^N/N! · N/(N−A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N−A)).
        assert!((erlang_c(11, 10.0) - 0.682_118).abs() < 1e-5);
        assert!((erlang_c(13, 10.0) - 0.285_270).abs() < 1e-5);
        assert!((erlang_c(14, 10.0) - 0.174_132).abs() < 1e-5);
        // 10 Erlangs of 180 s calls: 13 agents answer 79.6 % within 20 s,
        // so 80 % needs 14.
        assert!((service_level(13, 10.0, 180.0, 20.0) - 0.795_595).abs() < 1e-5);
        assert_eq!(agents_for(10.0, 180.0, 20.0, 0.8), 14);
        assert!((asa(13, 10.0, 180.0) - 0.285_270 * 60.0).abs() < 1e-3);
        assert_eq!(erlang_c(5, 6.0), 1.0, "overloaded: everyone waits");
    }
}
