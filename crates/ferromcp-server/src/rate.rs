//! Sliding-window budgets for sampling.
//!
//! Two budgets, because two different parties pay:
//! - what a stateful session asks the *client's* LLM
//!   ([`take_sampling_permit`], one window per session, `max_sampling_per_minute`): the
//!   user pays, and a runaway tool in their session must not spend it all;
//! - what the server's *own* LLM (its `sampling_provider`) answers ([`ProviderBudgets`]):
//!   the operator pays, whoever opened the session, so the window is the caller's principal
//!   across all of its sessions and 2026-07-28 requests (`max_sampling_per_minute`), and
//!   one window holds every call of the server (`max_provider_calls_per_minute`). Callers
//!   the transport did not authenticate share one window: opening sessions, or sending
//!   stateless requests, cannot make new budgets.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::McpError;

/// The period of every sampling budget.
pub(crate) const SAMPLING_WINDOW: Duration = Duration::from_secs(60);

/// Principals whose windows are kept before empty ones are swept (the threshold then
/// follows the table's size, so a sweep is paid for by as many insertions); bounds the
/// table when many principals sample once and never again.
const SWEEP_ABOVE: usize = 1024;

/// What the refusal of the server-wide budget names.
const SERVER_WIDE: &str = "the server's LLM (all callers together)";

/// Forgets the instants of `sent` older than the window.
fn slide(sent: &mut VecDeque<Instant>, now: Instant) {
    while sent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= SAMPLING_WINDOW)
    {
        sent.pop_front();
    }
}

/// The refusal when `sent` (slid to `now`) already holds `limit`.
fn check(sent: &VecDeque<Instant>, limit: u32, what: &'static str) -> Result<(), McpError> {
    if sent.len() >= limit as usize {
        return Err(McpError::RateLimited {
            what,
            limit,
            per: "minute",
        });
    }
    Ok(())
}

/// Counts one sampling request in `sent` (the instants of earlier ones), or refuses it when
/// the last [`SAMPLING_WINDOW`] already holds `limit`.
pub(crate) fn take_sampling_permit(
    sent: &mut VecDeque<Instant>,
    limit: Option<u32>,
    now: Instant,
) -> Result<(), McpError> {
    let Some(limit) = limit else {
        return Ok(());
    };
    slide(sent, now);
    check(sent, limit, "sampling")?;
    sent.push_back(now);
    Ok(())
}

/// The budgets of the server's own LLM: a window per principal (`None`: every caller the
/// transport did not authenticate, together) and one for the whole server.
#[derive(Default)]
pub(crate) struct ProviderBudgets {
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    by_principal: HashMap<Option<String>, VecDeque<Instant>>,
    all: VecDeque<Instant>,
    /// Sweep `by_principal` when it grows past this.
    sweep_above: usize,
}

impl ProviderBudgets {
    /// Counts one call of the server's LLM for `principal`, or refuses it (counting
    /// nothing) when the principal's window already holds `per_principal` calls or the
    /// server's holds `server_wide`.
    pub(crate) fn take(
        &self,
        principal: Option<&str>,
        per_principal: Option<u32>,
        server_wide: Option<u32>,
    ) -> Result<(), McpError> {
        if per_principal.is_none() && server_wide.is_none() {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let windows = &mut *windows;
        let key = principal.map(str::to_owned);
        if let Some(limit) = per_principal {
            // Looked up without inserting: a refused caller leaves no entry behind.
            if let Some(sent) = windows.by_principal.get_mut(&key) {
                slide(sent, now);
                check(sent, limit, "sampling")?;
            }
        }
        if let Some(limit) = server_wide {
            slide(&mut windows.all, now);
            check(&windows.all, limit, SERVER_WIDE)?;
            windows.all.push_back(now);
        }
        if per_principal.is_some() {
            if windows.by_principal.len() > windows.sweep_above.max(SWEEP_ABOVE) {
                windows.by_principal.retain(|_, sent| {
                    sent.back()
                        .is_some_and(|t| now.duration_since(*t) < SAMPLING_WINDOW)
                });
                windows.sweep_above = windows.by_principal.len() * 2;
            }
            windows.by_principal.entry(key).or_default().push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_by(result: Result<(), McpError>) -> Option<(&'static str, u32)> {
        match result {
            Err(McpError::RateLimited { what, limit, .. }) => Some((what, limit)),
            _ => None,
        }
    }

    #[test]
    fn each_principal_has_its_own_window_and_it_slides() {
        let budgets = ProviderBudgets::default();
        for _ in 0..3 {
            budgets.take(Some("alice"), Some(3), None).unwrap();
        }
        assert_eq!(
            refused_by(budgets.take(Some("alice"), Some(3), None)),
            Some(("sampling", 3))
        );
        budgets.take(Some("bob"), Some(3), None).unwrap();
        budgets.take(None, Some(3), None).unwrap();
        budgets.take(Some("alice"), None, None).unwrap();

        let mut sent = VecDeque::new();
        let start = Instant::now();
        take_sampling_permit(&mut sent, Some(1), start).unwrap();
        assert!(take_sampling_permit(&mut sent, Some(1), start + Duration::from_secs(59)).is_err());
        take_sampling_permit(&mut sent, Some(1), start + SAMPLING_WINDOW).unwrap();
    }

    #[test]
    fn callers_without_a_principal_share_one_window() {
        let budgets = ProviderBudgets::default();
        budgets.take(None, Some(2), None).unwrap();
        budgets.take(None, Some(2), None).unwrap();
        assert!(refused_by(budgets.take(None, Some(2), None)).is_some());
        // A principal named like nothing special is still not the anonymous window.
        budgets.take(Some(""), Some(2), None).unwrap();
    }

    #[test]
    fn the_server_wide_window_holds_every_principal_and_refusals_cost_nothing() {
        let budgets = ProviderBudgets::default();
        for i in 0..4 {
            budgets
                .take(Some(&format!("p{i}")), Some(3), Some(4))
                .unwrap();
        }
        assert_eq!(
            refused_by(budgets.take(Some("p9"), Some(3), Some(4))),
            Some((SERVER_WIDE, 4))
        );
        assert_eq!(
            refused_by(budgets.take(None, None, Some(4))),
            Some((SERVER_WIDE, 4))
        );
        let windows = budgets.windows.lock().unwrap();
        assert_eq!(windows.all.len(), 4);
        assert!(!windows.by_principal.contains_key(&Some("p9".into())));
        drop(windows);

        // A principal refused by its own window takes nothing from the server's.
        let budgets = ProviderBudgets::default();
        budgets.take(Some("a"), Some(1), Some(10)).unwrap();
        assert!(refused_by(budgets.take(Some("a"), Some(1), Some(10))).is_some());
        assert_eq!(budgets.windows.lock().unwrap().all.len(), 1);
    }

    #[test]
    fn idle_principals_are_swept() {
        let budgets = ProviderBudgets::default();
        let old = Instant::now() - SAMPLING_WINDOW;
        {
            let mut windows = budgets.windows.lock().unwrap();
            for i in 0..=SWEEP_ABOVE {
                windows
                    .by_principal
                    .insert(Some(format!("p{i}")), VecDeque::from([old]));
            }
        }
        budgets.take(Some("new"), Some(1), None).unwrap();
        assert_eq!(budgets.windows.lock().unwrap().by_principal.len(), 1);
    }
}
