//! Colours and styles. States are always told apart by a word or symbol as well as colour.

use ratatui::style::{Color, Modifier, Style};

use crate::model::alarm::Severity;
use crate::model::log::LogLevel;
use crate::model::threshold::Level;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub ok: Color,
    pub warn: Color,
    pub crit: Color,
    pub nodata: Color,
    pub text: Color,
    pub dim: Color,
    pub accent: Color,
    pub border: Color,
    pub border_focused: Color,
    /// Chart line colours, in order (p50 / p95 / p99, or per resource).
    pub series: [Color; 4],
    /// Threshold lines.
    pub warn_line: Color,
    pub crit_line: Color,
    pub marker: Color,
    pub header_bg: Color,
}

impl Default for Theme {
    fn default() -> Self {
        Self::dark()
    }
}

impl Theme {
    pub fn dark() -> Self {
        Self {
            ok: Color::Green,
            warn: Color::Yellow,
            crit: Color::Red,
            nodata: Color::DarkGray,
            text: Color::Reset,
            dim: Color::DarkGray,
            accent: Color::Cyan,
            border: Color::DarkGray,
            border_focused: Color::Cyan,
            series: [Color::Cyan, Color::Magenta, Color::LightBlue, Color::White],
            warn_line: Color::Yellow,
            crit_line: Color::Red,
            marker: Color::LightMagenta,
            header_bg: Color::Blue,
        }
    }

    pub fn level(&self, level: Level) -> Style {
        let c = match level {
            Level::NoData => self.nodata,
            Level::Ok => self.ok,
            Level::Warn => self.warn,
            Level::Crit => self.crit,
        };
        let s = Style::default().fg(c);
        if level == Level::Crit {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    /// A state badge: reversed colour block, e.g. ` CRIT `.
    pub fn badge(&self, level: Level) -> Style {
        let c = match level {
            Level::NoData => self.nodata,
            Level::Ok => self.ok,
            Level::Warn => self.warn,
            Level::Crit => self.crit,
        };
        Style::default()
            .fg(Color::Black)
            .bg(c)
            .add_modifier(Modifier::BOLD)
    }

    pub fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Critical => Style::default().fg(self.crit).add_modifier(Modifier::BOLD),
            Severity::High => Style::default().fg(self.crit),
            Severity::Medium => Style::default().fg(self.warn),
            Severity::Low => Style::default().fg(self.dim),
        }
    }

    pub fn log_level(&self, l: LogLevel) -> Style {
        match l {
            LogLevel::Error => Style::default().fg(self.crit).add_modifier(Modifier::BOLD),
            LogLevel::Warn => Style::default().fg(self.warn),
            LogLevel::Info => Style::default().fg(self.ok),
            LogLevel::Debug | LogLevel::Other => Style::default().fg(self.dim),
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            Style::default()
                .fg(self.border_focused)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(self.border)
        }
    }

    pub fn dim(&self) -> Style {
        Style::default().fg(self.dim)
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}
