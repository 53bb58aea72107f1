//! Where data comes from. Every source sits behind [`Source`]; SDK types and simulation details
//! stop here and only [`Update`]s reach the model.

pub mod aws;
pub mod demo;

use std::time::Instant;

use crate::model::log::LogFilter;
use crate::model::time::Ts;
use crate::model::Update;

/// A data source. The event loop polls it on a timer; a source that talks to the network
/// does so on its own tasks and hands over what arrived since the last poll.
pub trait Source: Send {
    /// What the status bar says the data comes from.
    fn label(&self) -> String;
    /// Everything that changed up to `now` since the previous poll. The first poll delivers
    /// the history the charts need.
    fn poll(&mut self, now: Ts) -> Vec<Update>;
    /// What the log pane wants: a live source tails logs only while the pane is visible, with
    /// the pane's filter as the server-side filter. Sources that have everything ignore it.
    fn set_log_interest(&mut self, _visible: bool, _filter: &LogFilter) {}
}

/// The clock the app runs on: wall time, or simulated time that runs `speed` times faster
/// from a fixed epoch (the demo), so that a run is reproducible.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch: Ts,
    started: Instant,
    speed: f64,
}

impl Clock {
    /// Simulated time starting at `epoch`.
    pub fn simulated(epoch: Ts, speed: f64) -> Self {
        Self {
            epoch,
            started: Instant::now(),
            speed: speed.max(0.0),
        }
    }

    /// The system's wall clock.
    pub fn wall() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as Ts)
            .unwrap_or(0);
        Self {
            epoch: now,
            started: Instant::now(),
            speed: 1.0,
        }
    }

    pub fn now(&self) -> Ts {
        self.epoch + (self.started.elapsed().as_secs_f64() * self.speed) as Ts
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Real time until the clock reaches its next whole second.
    pub fn until_next_second(&self) -> std::time::Duration {
        if self.speed <= 0.0 {
            return std::time::Duration::from_secs(1);
        }
        let sim = self.started.elapsed().as_secs_f64() * self.speed;
        let left = (sim.floor() + 1.0 - sim) / self.speed;
        std::time::Duration::from_secs_f64(left.clamp(0.001, 1.0))
    }
}
