//! The writer: model → XML in the OP192 form.
//!
//! OP192: UTF-8 without a byte-order mark, CR/LF line ends, every element on its own line.
//! Line ends inside text are written as CR/LF too (a reader normalises them back to LF), and a
//! lone CR in text is written as `&#13;` so that it survives reading.

use super::{Ctx, Ns};

/// Accumulates the XML text of one message.
pub(crate) struct Writer {
    out: String,
    message_prefix: String,
    basis_prefix: &'static str,
    pub ctx: Ctx,
}

impl Writer {
    pub fn new(ctx: Ctx, size_hint: usize) -> Self {
        let mut out = String::with_capacity(size_hint);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n");
        Self {
            out,
            message_prefix: ctx.kind.prefix(),
            basis_prefix: ctx.kind.law.as_str(),
            ctx,
        }
    }

    fn prefix(&self, ns: Ns) -> &str {
        match ns {
            Ns::Message => &self.message_prefix,
            Ns::Basis => self.basis_prefix,
        }
    }

    fn tag_name(&mut self, ns: Ns, name: &str) {
        let prefix = match ns {
            Ns::Message => self.message_prefix.as_str(),
            Ns::Basis => self.basis_prefix,
        };
        self.out.push_str(prefix);
        self.out.push(':');
        self.out.push_str(name);
    }

    /// Opens the root element `Bericht` with both namespace declarations.
    pub fn open_root(&mut self) {
        let kind = self.ctx.kind;
        let line = format!(
            "<{mp}:Bericht xmlns:{bp}=\"{bns}\" xmlns:{mp}=\"{mns}\">\r\n",
            mp = self.prefix(Ns::Message),
            bp = self.prefix(Ns::Basis),
            bns = kind.law.basis_namespace(),
            mns = kind.namespace(),
        );
        self.out.push_str(&line);
    }

    /// Opens a complex element on its own line.
    pub fn open(&mut self, ns: Ns, name: &str) {
        self.out.push('<');
        self.tag_name(ns, name);
        self.out.push_str(">\r\n");
    }

    /// Closes a complex element on its own line.
    pub fn close(&mut self, ns: Ns, name: &str) {
        self.out.push_str("</");
        self.tag_name(ns, name);
        self.out.push_str(">\r\n");
    }

    /// Writes a simple element with its text on one line. `text` is escaped here.
    pub fn leaf(&mut self, ns: Ns, name: &str, text: &str) {
        self.out.push('<');
        self.tag_name(ns, name);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.tag_name(ns, name);
        self.out.push_str(">\r\n");
    }

    /// Writes a simple element whose text is the decimal `value`, without a string per
    /// number.
    pub fn leaf_u64(&mut self, ns: Ns, name: &str, value: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = value;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        // ASCII digits only.
        let text = std::str::from_utf8(&digits[at..]).unwrap_or_default();
        self.leaf(ns, name, text);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Escapes text content: markup characters, and line ends in the OP192 form. Runs of other
/// characters are copied whole.
fn escape_into(out: &mut String, text: &str) {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let replacement = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'\n' => "\r\n",
            b'\r' => "&#13;",
            _ => continue,
        };
        // The bytes matched are ASCII, so `i` is a character boundary.
        out.push_str(&text[start..i]);
        out.push_str(replacement);
        start = i + 1;
    }
    out.push_str(&text[start..]);
}

#[cfg(test)]
mod tests {
    use super::escape_into;

    #[test]
    fn escapes_markup_and_writes_crlf() {
        let mut s = String::new();
        escape_into(&mut s, "a<b>&c\nd\re");
        assert_eq!(s, "a&lt;b&gt;&amp;c\r\nd&#13;e");
        let mut s = String::new();
        escape_into(&mut s, "&é<ü\n€>");
        assert_eq!(s, "&amp;é&lt;ü\r\n€&gt;");
        let mut s = String::new();
        escape_into(&mut s, "plain text, één");
        assert_eq!(s, "plain text, één");
    }

    #[test]
    fn numbers_are_written_in_decimal() {
        use super::{Ctx, Ns, Writer};
        use crate::law::{Law, MessageKind, MessageType};
        for value in [0, 7, 10, 99_999_999, u64::MAX] {
            let kind = MessageKind::new(Law::Ijw, MessageType::M323);
            let mut w = Writer::new(
                Ctx {
                    kind,
                    retour: false,
                },
                0,
            );
            w.leaf_u64(Ns::Message, "N", value);
            let out = w.finish();
            assert!(
                out.ends_with(&format!("<jw323:N>{value}</jw323:N>\r\n")),
                "{out}"
            );
        }
    }
}
