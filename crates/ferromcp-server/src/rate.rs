//! Sliding-window budgets for `max_sampling_per_minute`: one per stateful session, and one
//! per principal for 2026-07-28 requests, which have no session to count in.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::McpError;

/// The period of `max_sampling_per_minute`.
pub(crate) const SAMPLING_WINDOW: Duration = Duration::from_secs(60);

/// Principals whose windows are kept before empty ones are swept; bounds the table when
/// many principals sample once and never again.
const SWEEP_ABOVE: usize = 1024;

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
    while sent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= SAMPLING_WINDOW)
    {
        sent.pop_front();
    }
    if sent.len() >= limit as usize {
        return Err(McpError::RateLimited {
            what: "sampling",
            limit,
            per: "minute",
        });
    }
    sent.push_back(now);
    Ok(())
}

/// Sampling windows keyed by principal (`None`: callers the transport did not
/// authenticate, who share one window).
#[derive(Default)]
pub(crate) struct PrincipalBudgets {
    windows: Mutex<HashMap<Option<String>, VecDeque<Instant>>>,
}

impl PrincipalBudgets {
    /// Counts one sampling request for `principal`.
    pub(crate) fn take(&self, principal: Option<&str>, limit: Option<u32>) -> Result<(), McpError> {
        if limit.is_none() {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, sent| {
                sent.back()
                    .is_some_and(|t| now.duration_since(*t) < SAMPLING_WINDOW)
            });
        }
        let sent = windows.entry(principal.map(str::to_owned)).or_default();
        take_sampling_permit(sent, limit, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_principal_has_its_own_window_and_it_slides() {
        let budgets = PrincipalBudgets::default();
        for _ in 0..3 {
            budgets.take(Some("alice"), Some(3)).unwrap();
        }
        assert!(matches!(
            budgets.take(Some("alice"), Some(3)),
            Err(McpError::RateLimited { limit: 3, .. })
        ));
        budgets.take(Some("bob"), Some(3)).unwrap();
        budgets.take(None, Some(3)).unwrap();
        budgets.take(Some("alice"), None).unwrap();

        let mut sent = VecDeque::new();
        let start = Instant::now();
        take_sampling_permit(&mut sent, Some(1), start).unwrap();
        assert!(take_sampling_permit(&mut sent, Some(1), start + Duration::from_secs(59)).is_err());
        take_sampling_permit(&mut sent, Some(1), start + SAMPLING_WINDOW).unwrap();
    }

    #[test]
    fn idle_principals_are_swept() {
        let budgets = PrincipalBudgets::default();
        let old = Instant::now() - SAMPLING_WINDOW;
        {
            let mut windows = budgets.windows.lock().unwrap();
            for i in 0..=SWEEP_ABOVE {
                windows.insert(Some(format!("p{i}")), VecDeque::from([old]));
            }
        }
        budgets.take(Some("new"), Some(1)).unwrap();
        assert_eq!(budgets.windows.lock().unwrap().len(), 1);
    }
}
