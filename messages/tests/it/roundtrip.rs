//! Round trip: random valid model → XML → read → equal, for all 28 kinds.

use ketenpoort_messages::generate::{Gen, Shape};
use ketenpoort_messages::{Message, MessageKind};
use proptest::prelude::*;

fn round_trip(kind: MessageKind, seed: u64, shape: Shape) -> Result<(), TestCaseError> {
    let mut g = Gen::new(seed, shape);
    let message = Message::generate(kind, &mut g);
    prop_assert_eq!(
        message.validate(),
        vec![],
        "generated {} is not valid",
        kind
    );
    let xml = message
        .to_xml()
        .map_err(|e| TestCaseError::fail(format!("{kind}: write failed: {e}")))?;
    let back = Message::from_xml(xml.as_bytes())
        .map_err(|e| TestCaseError::fail(format!("{kind}: read failed: {e}\n{xml}")))?;
    prop_assert_eq!(back.kind(), kind);
    prop_assert_eq!(back, message);
    Ok(())
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![Just(Shape::Random), Just(Shape::Full), Just(Shape::Minimal)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_kind_round_trips(seed in any::<u64>(), shape in shape()) {
        for kind in MessageKind::all() {
            round_trip(kind, seed, shape)?;
        }
    }
}
