//! The seven iWmo retour kinds have no XSD in the standards directory. Their structure is
//! given as tables in `rules/iwmo/Master_overview_iWmo_XSD_schemas.md`; this test checks the
//! elements ketenpoort writes against those tables: child order, and cardinalities.

use crate::common;

use std::collections::BTreeMap;

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Law, Message, MessageKind, MessageType};

/// One row of a table: child element, its type (local name when it is a message type), min, max.
#[derive(Debug, Clone)]
struct Row {
    child: String,
    message_type: Option<String>,
    min: u32,
    unbounded: bool,
}

/// The complex types of one schema section: type name → rows.
fn parse_section(md: &str, kind: MessageKind) -> BTreeMap<String, Vec<Row>> {
    let heading = format!("## Samenvatting **{}.xsd**", kind.code());
    let start = md
        .find(&heading)
        .unwrap_or_else(|| panic!("no section for {}", kind.code()));
    let rest = &md[start + heading.len()..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let prefix = format!("{}:", kind.prefix());
    let mut types = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in section.lines() {
        if let Some(name) = line.strip_prefix("### ") {
            current = Some(name.trim().to_owned());
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || cells[1] == "Child-element" || cells[1].starts_with("---") {
            continue;
        }
        let Some(name) = &current else { continue };
        let (min, max) = cells[3].split_once("..").expect("cardinality n..m");
        types
            .entry(name.clone())
            .or_insert_with(Vec::new)
            .push(Row {
                child: cells[1].to_owned(),
                message_type: cells[2].strip_prefix(prefix.as_str()).map(str::to_owned),
                min: min.parse().expect("min"),
                unbounded: max == "unbounded",
            });
    }
    types
}

/// Message-namespace elements of a written message: (element name, children names) per
/// complex element instance, in document order, together with its parent's name.
fn element_tree(xml: &str, prefix: &str) -> Vec<(String, String, Vec<String>)> {
    let open = format!("<{prefix}:");
    let close = format!("</{prefix}:");
    let mut stack: Vec<(String, String, Vec<String>)> = Vec::new();
    let mut done = Vec::new();
    for line in xml.split("\r\n") {
        if let Some(rest) = line.strip_prefix(&close) {
            let name = rest.trim_end_matches('>');
            if stack.last().map(|s| s.1.as_str()) == Some(name) {
                if let Some(node) = stack.pop() {
                    done.push(node);
                }
            }
        } else if let Some(rest) = line.strip_prefix(&open) {
            let end = rest.find('>').expect("tag end");
            let name = rest[..end].split(' ').next().unwrap_or_default().to_owned();
            if let Some(parent) = stack.last_mut() {
                parent.2.push(name.clone());
            }
            if rest.len() == end + 1 {
                let parent = stack.last().map(|s| s.1.clone()).unwrap_or_default();
                stack.push((parent, name, Vec::new()));
            }
        } else if !line.starts_with("</") && line.starts_with('<') && !line.starts_with("<?") {
            // A basisschema child: counts for its parent.
            if let (Some(parent), Some(end)) = (stack.last_mut(), line.find('>')) {
                let tag = &line[1..end];
                if let Some((_, name)) = tag.split_once(':') {
                    parent.2.push(name.to_owned());
                }
            }
        }
    }
    done
}

#[test]
fn iwmo_retours_follow_the_master_overview() {
    let Some(standards) = common::standards_dir("iwmo_retours_follow_the_master_overview") else {
        return;
    };
    let md =
        std::fs::read_to_string(standards.join("rules/iwmo/Master_overview_iWmo_XSD_schemas.md"))
            .expect("read master overview");
    let mut compared = 0usize;
    for t in MessageType::ALL {
        let kind = MessageKind::new(Law::Iwmo, t);
        if common::xsd(&standards, kind).is_some() {
            continue;
        }
        let types = parse_section(&md, kind);
        assert!(types.contains_key("Root"), "{kind}: no Root table");
        let mut covered = std::collections::BTreeSet::new();
        for (i, shape) in [Shape::Full, Shape::Minimal, Shape::Random, Shape::Full]
            .into_iter()
            .enumerate()
        {
            let mut g = Gen::new(i as u64 + 11, shape);
            g.max_list = 2;
            let xml = Message::generate(kind, &mut g).to_xml().expect("valid");
            let tree = element_tree(&xml, &kind.prefix());
            // Map each element to its type via its parent's table.
            for (parent, name, children) in &tree {
                let type_name = if name == "Bericht" {
                    "Root".to_owned()
                } else {
                    let parent_type = if parent == "Bericht" {
                        "Root"
                    } else {
                        parent.as_str()
                    };
                    types
                        .get(parent_type)
                        .and_then(|rows| rows.iter().find(|r| &r.child == name))
                        .and_then(|r| r.message_type.clone())
                        .unwrap_or_else(|| name.clone())
                };
                let Some(rows) = types.get(&type_name) else {
                    continue;
                };
                covered.insert(type_name.clone());
                let mut order = children.clone();
                order.dedup();
                let expected: Vec<&str> = rows.iter().map(|r| r.child.as_str()).collect();
                let mut pos = 0;
                for child in &order {
                    let found = expected[pos..].iter().position(|e| e == child);
                    assert!(
                        found.is_some(),
                        "{kind}: {name} ({type_name}) has child {child} out of order or not in the table; table: {expected:?}, written: {order:?}"
                    );
                    pos += found.unwrap_or(0) + 1;
                }
                for row in rows {
                    let n = children.iter().filter(|c| **c == row.child).count() as u32;
                    assert!(
                        n >= row.min,
                        "{kind}: {name} needs {} {} but has {n}",
                        row.min,
                        row.child
                    );
                    assert!(
                        row.unbounded || n <= 1,
                        "{kind}: {name} may have one {} but has {n}",
                        row.child
                    );
                }
                if shape == Shape::Full {
                    assert_eq!(
                        order, expected,
                        "{kind}: a full {name} must have every child of the table"
                    );
                }
                compared += 1;
            }
        }
        for name in types.keys() {
            assert!(
                covered.contains(name),
                "{kind}: table {name} was never compared"
            );
        }
    }
    assert!(compared > 50, "compared only {compared} elements");
    println!(
        "compared {compared} written elements of the 7 iWmo retour kinds with the master overview tables"
    );
}
