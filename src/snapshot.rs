//! Headless frames: the exact frame the TUI would show, rendered into a buffer and written as
//! plain text, ANSI-coloured text, or SVG.

use std::fmt::Write as _;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};

use crate::app::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Txt,
    Ansi,
    Svg,
}

/// Render the state into a fresh buffer of `cols` x `rows`.
pub fn render(state: &mut AppState, cols: u16, rows: u16) -> Buffer {
    state.ui.size = (cols, rows);
    let area = Rect::new(0, 0, cols, rows);
    let mut buf = Buffer::empty(area);
    crate::ui::render(area, &mut buf, state);
    buf
}

/// Parse `COLSxROWS`.
pub fn parse_size(text: &str) -> Result<(u16, u16), String> {
    let (c, r) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("`{text}`: expected a size as COLSxROWS, e.g. 200x60"))?;
    let parse = |s: &str, what: &str| {
        s.trim()
            .parse::<u16>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| format!("`{text}`: {what} must be a number from 1 to 1000"))
    };
    Ok((parse(c, "COLS")?, parse(r, "ROWS")?))
}

pub fn write(buf: &Buffer, format: Format) -> String {
    match format {
        Format::Txt => to_text(buf),
        Format::Ansi => to_ansi(buf),
        Format::Svg => to_svg(buf),
    }
}

/// The symbols of each row, trailing spaces trimmed, rows joined by newlines.
pub fn to_text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::with_capacity((area.width as usize + 1) * area.height as usize);
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn sgr_color(c: Color, fg: bool) -> Option<String> {
    let base = if fg { 30 } else { 40 };
    let bright = if fg { 90 } else { 100 };
    Some(match c {
        Color::Reset => return None,
        Color::Black => format!("{}", base),
        Color::Red => format!("{}", base + 1),
        Color::Green => format!("{}", base + 2),
        Color::Yellow => format!("{}", base + 3),
        Color::Blue => format!("{}", base + 4),
        Color::Magenta => format!("{}", base + 5),
        Color::Cyan => format!("{}", base + 6),
        Color::Gray => format!("{}", base + 7),
        Color::DarkGray => format!("{}", bright),
        Color::LightRed => format!("{}", bright + 1),
        Color::LightGreen => format!("{}", bright + 2),
        Color::LightYellow => format!("{}", bright + 3),
        Color::LightBlue => format!("{}", bright + 4),
        Color::LightMagenta => format!("{}", bright + 5),
        Color::LightCyan => format!("{}", bright + 6),
        Color::White => format!("{}", bright + 7),
        Color::Indexed(i) => format!("{};5;{}", if fg { 38 } else { 48 }, i),
        Color::Rgb(r, g, b) => format!("{};2;{};{};{}", if fg { 38 } else { 48 }, r, g, b),
    })
}

/// Text with SGR colour sequences, as a terminal would show it (`cat` it to see the frame).
pub fn to_ansi(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut last: Option<(Color, Color, Modifier)> = None;
        let mut skip = 0usize;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buf[(x, y)];
            let style = (cell.fg, cell.bg, cell.modifier);
            if last != Some(style) {
                let mut codes = vec!["0".to_string()];
                for (m, code) in [
                    (Modifier::BOLD, "1"),
                    (Modifier::DIM, "2"),
                    (Modifier::ITALIC, "3"),
                    (Modifier::UNDERLINED, "4"),
                    (Modifier::REVERSED, "7"),
                ] {
                    if cell.modifier.contains(m) {
                        codes.push(code.into());
                    }
                }
                codes.extend(sgr_color(cell.fg, true));
                codes.extend(sgr_color(cell.bg, false));
                let _ = write!(out, "\x1b[{}m", codes.join(";"));
                last = Some(style);
            }
            out.push_str(cell.symbol());
            skip = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
        }
        out.push_str("\x1b[0m\n");
    }
    out
}

/// The xterm default palette for the 16 named colours.
fn rgb(c: Color, fg: bool) -> (u8, u8, u8) {
    match c {
        Color::Reset => {
            if fg {
                (0xd0, 0xd0, 0xd0)
            } else {
                (0x12, 0x14, 0x18)
            }
        }
        Color::Black => (0x00, 0x00, 0x00),
        Color::Red => (0xcd, 0x31, 0x31),
        Color::Green => (0x0d, 0xbc, 0x79),
        Color::Yellow => (0xe5, 0xe5, 0x10),
        Color::Blue => (0x24, 0x72, 0xc8),
        Color::Magenta => (0xbc, 0x3f, 0xbc),
        Color::Cyan => (0x11, 0xa8, 0xcd),
        Color::Gray => (0xe5, 0xe5, 0xe5),
        Color::DarkGray => (0x76, 0x76, 0x76),
        Color::LightRed => (0xf1, 0x4c, 0x4c),
        Color::LightGreen => (0x23, 0xd1, 0x8b),
        Color::LightYellow => (0xf5, 0xf5, 0x43),
        Color::LightBlue => (0x3b, 0x8e, 0xea),
        Color::LightMagenta => (0xd6, 0x70, 0xd6),
        Color::LightCyan => (0x29, 0xb8, 0xdb),
        Color::White => (0xff, 0xff, 0xff),
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => indexed(i),
    }
}

fn indexed(i: u8) -> (u8, u8, u8) {
    const NAMED: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    match i {
        0..=15 => rgb(NAMED[i as usize], true),
        16..=231 => {
            let i = i - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let g = 8 + (i - 232) * 10;
            (g, g, g)
        }
    }
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn xml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// An SVG picture of the frame: one monospace text run per row segment of the same style.
pub fn to_svg(buf: &Buffer) -> String {
    const CW: f32 = 8.4; // cell width in px at 14px font
    const CH: f32 = 17.0; // cell height
    let area = buf.area;
    let (w, h) = (area.width as f32 * CW, area.height as f32 * CH);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">\n\
         <style>text{{font-family:'DejaVu Sans Mono','Menlo','Consolas',monospace;font-size:14px;white-space:pre}}</style>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"{}\"/>\n",
        hex(rgb(Color::Reset, false))
    );
    for y in area.top()..area.bottom() {
        let py = (y - area.top()) as f32 * CH;
        // backgrounds
        let mut x = area.left();
        while x < area.right() {
            let cell = &buf[(x, y)];
            let (mut fg, mut bg) = (cell.fg, cell.bg);
            if cell.modifier.contains(Modifier::REVERSED) {
                std::mem::swap(&mut fg, &mut bg);
                if bg == Color::Reset {
                    bg = Color::Gray;
                }
            }
            let _ = fg;
            let start = x;
            while x < area.right() && {
                let c = &buf[(x, y)];
                let mut b2 = c.bg;
                if c.modifier.contains(Modifier::REVERSED) {
                    b2 = if c.fg == Color::Reset {
                        Color::Gray
                    } else {
                        c.fg
                    };
                }
                b2 == bg
            } {
                x += 1;
            }
            if bg != Color::Reset {
                let _ = writeln!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                    (start - area.left()) as f32 * CW,
                    py,
                    (x - start) as f32 * CW,
                    CH,
                    hex(rgb(bg, false))
                );
            }
        }
        // text runs: each cell positioned explicitly so wide glyphs and font metrics can't drift
        let mut x = area.left();
        while x < area.right() {
            let cell = &buf[(x, y)];
            let sym = cell.symbol();
            let width = unicode_width::UnicodeWidthStr::width(sym).max(1) as u16;
            if sym.trim().is_empty() {
                x += width;
                continue;
            }
            let mut fg = cell.fg;
            if cell.modifier.contains(Modifier::REVERSED) {
                fg = if cell.bg == Color::Reset {
                    Color::Black
                } else {
                    cell.bg
                };
            }
            let bold = cell.modifier.contains(Modifier::BOLD);
            let start = x;
            let mut text = String::new();
            while x < area.right() {
                let c = &buf[(x, y)];
                let mut f2 = c.fg;
                if c.modifier.contains(Modifier::REVERSED) {
                    f2 = if c.bg == Color::Reset {
                        Color::Black
                    } else {
                        c.bg
                    };
                }
                let s = c.symbol();
                let wd = unicode_width::UnicodeWidthStr::width(s).max(1) as u16;
                // Non-ASCII glyphs (braille, box drawing, CJK) come from fallback fonts with
                // their own advance widths: each gets its own positioned element so the grid
                // never drifts.
                let single = wd != 1 || !s.is_ascii();
                if f2 != fg || c.modifier.contains(Modifier::BOLD) != bold || single && x != start {
                    break;
                }
                text.push_str(s);
                x += wd;
                if single {
                    break;
                }
            }
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"{}\"{} textLength=\"{:.1}\" lengthAdjust=\"spacingAndGlyphs\">",
                (start - area.left()) as f32 * CW,
                py + CH * 0.78,
                hex(rgb(fg, true)),
                if bold { " font-weight=\"bold\"" } else { "" },
                (x - start) as f32 * CW
            );
            xml_escape(&text, &mut out);
            out.push_str("</text>\n");
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("200x60"), Ok((200, 60)));
        assert!(parse_size("200").is_err());
        assert!(parse_size("0x10").is_err());
    }

    #[test]
    fn formats_carry_text_and_style() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 2));
        buf.set_string(0, 0, "CRIT <5%>", Style::default().fg(Color::Red));
        buf.set_string(0, 1, "漢字 ok", Style::default());
        assert_eq!(to_text(&buf), "CRIT <5%>\n漢字 ok\n");
        let ansi = to_ansi(&buf);
        assert!(ansi.contains("\x1b[0;31mCRIT <5%>"), "{ansi:?}");
        let svg = to_svg(&buf);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("&lt;5%&gt;"));
        assert!(svg.contains(&hex(rgb(Color::Red, true))));
        assert!(svg.contains(">漢<") && svg.contains(">字<"));
    }
}
