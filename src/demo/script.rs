//! The life of one order: the status moves it goes through (following the real status
//! machine) and when, cut at "now" so recent orders are still in progress.
//!
//! A script is drawn from its own seed, so the planner (which needs the final status for the
//! customer totals) and the loader (which writes the history rows) get the same one without
//! keeping millions of histories in memory.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::calendar::MINUTE;
use super::profile::{Kind, Profile, Step};
use crate::orders::Status;

const CANCEL_NOTES: &[&str] = &[
    "El cliente canceló: ya no lo necesita.",
    "Dirección fuera de la zona de reparto.",
    "Pago no confirmado.",
    "Pedido duplicado.",
    "El cliente canceló por la demora.",
    "Producto agotado; el cliente no aceptó el cambio.",
];

/// Counter orders move fast whatever the brand (the customer is waiting at the till).
const COUNTER: [Step; 5] = [Step(0, 2), Step(1, 4), Step(3, 15), Step(0, 0), Step(1, 5)];

pub struct Script {
    events: [(Status, i64); 7],
    len: usize,
    pub cancel_note: Option<&'static str>,
}

impl Script {
    pub fn events(&self) -> &[(Status, i64)] {
        &self.events[..self.len]
    }

    pub fn status(&self) -> Status {
        self.events[self.len - 1].0
    }

    pub fn updated_at(&self) -> i64 {
        self.events[self.len - 1].1
    }

    /// When the order reached `status`, if it did.
    pub fn reached(&self, status: Status) -> Option<i64> {
        self.events().iter().find(|e| e.0 == status).map(|e| e.1)
    }

    fn push(&mut self, status: Status, at: i64) {
        self.events[self.len] = (status, at);
        self.len += 1;
    }
}

fn minutes(rng: &mut SmallRng, step: Step) -> i64 {
    rng.gen_range(i64::from(step.0) * MINUTE..=i64::from(step.1) * MINUTE + 59_000)
}

/// The script of an order placed at `at` on `channel` (index in `profile::CHANNELS`).
pub fn script(profile: &Profile, channel: usize, at: i64, now: i64, seed: u64) -> Script {
    use Status::*;
    let mut rng = SmallRng::seed_from_u64(seed);
    let counter = channel == 3;
    let pickup = counter || rng.gen_range(0.0..100.0) < profile.pickup_pct;
    let steps = if counter && profile.kind != Kind::Gollos {
        COUNTER
    } else {
        profile.steps
    };
    // Cancelled orders mostly die early: before confirmation, then before preparation.
    let cancel_after =
        (rng.gen_range(0.0..100.0) < profile.cancel_pct).then(|| match rng.gen_range(0..20) {
            0..=11 => 0,
            12..=16 => 1,
            _ => 2,
        });
    let mut s = Script {
        events: [(Recibido, at); 7],
        len: 1,
        cancel_note: None,
    };
    let path: &[Status] = if pickup {
        &[Confirmado, EnPreparacion, Listo, Entregado]
    } else {
        &[Confirmado, EnPreparacion, Listo, EnCamino, Entregado]
    };
    let mut t = at;
    for (n, next) in path.iter().enumerate() {
        if cancel_after == Some(n) {
            t += minutes(&mut rng, steps[n]) + MINUTE;
            if t < now {
                s.push(Cancelado, t);
                s.cancel_note = Some(CANCEL_NOTES[rng.gen_range(0..CANCEL_NOTES.len())]);
            }
            return s;
        }
        // Pick-up skips the delivery leg: listo → entregado takes the last step's time.
        let step = if pickup && n == 3 { steps[4] } else { steps[n] };
        t += minutes(&mut rng, step);
        if t >= now {
            return s;
        }
        s.push(*next, t);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::profile::PROFILES;

    #[test]
    fn scripts_follow_the_status_machine_and_stop_at_now() {
        let now = 1_800_000_000_000;
        for profile in &PROFILES {
            let mut cancelled = 0;
            let mut in_progress = 0;
            for seed in 0..4_000u64 {
                let at = now - (seed as i64 % 200) * 30 * MINUTE;
                let s = script(profile, (seed % 4) as usize, at, now, seed);
                let ev = s.events();
                assert_eq!(ev[0], (Status::Recibido, at));
                for w in ev.windows(2) {
                    assert!(w[0].0.check_move(w[1].0).is_ok(), "{:?}", ev);
                    assert!(w[0].1 <= w[1].1 && w[1].1 < now);
                }
                if s.status() == Status::Cancelado {
                    cancelled += 1;
                    assert!(s.cancel_note.is_some());
                } else if s.status() != Status::Entregado {
                    in_progress += 1;
                }
            }
            assert!(
                cancelled > 40 && in_progress > 20,
                "{cancelled} {in_progress}"
            );
        }
    }
}
