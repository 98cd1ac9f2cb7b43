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

    pub fn finish(self) -> String {
        self.out
    }
}

/// Escapes text content: markup characters, and line ends in the OP192 form.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("\r\n"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_into;

    #[test]
    fn escapes_markup_and_writes_crlf() {
        let mut s = String::new();
        escape_into(&mut s, "a<b>&c\nd\re");
        assert_eq!(s, "a&lt;b&gt;&amp;c\r\nd&#13;e");
    }
}
