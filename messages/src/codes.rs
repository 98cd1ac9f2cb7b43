//! Codelists of the basisschema as enums (LDT_* enumerations).
//!
//! Variants carry the code's meaning where it is short; otherwise they are named after the
//! code itself (`RetourCode::R8001`). Two lists differ between the laws (ProductCategorie,
//! RedenBeeindiging): the enum holds both and validation checks the law's list.

use crate::error::Error;
use crate::law::Law;
use crate::xml::node::Node;
use crate::xml::read::Reader;
use crate::xml::write::Writer;
use crate::xml::{Ns, Report};

macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $name:ident $(laws [$($jw:literal),*] [$($wmo:literal),*])? {
            $( $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( #[doc = concat!("Code `", $code, "`.")] $variant, )*
        }

        impl $name {
            /// Every code of the list (both laws together where they differ).
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),* ];

            /// The code as written in XML.
            pub fn code(self) -> &'static str {
                match self {
                    $( $name::$variant => $code, )*
                }
            }

            /// The variant for a code, if the list has it.
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $( $code => Some($name::$variant), )*
                    _ => None,
                }
            }

            /// Whether the code is on the list of `law`.
            #[allow(unused_variables)]
            pub fn valid_for(self, law: Law) -> bool {
                $(
                    return match law {
                        Law::Ijw => [$($jw),*].contains(&self.code()),
                        Law::Iwmo => [$($wmo),*].contains(&self.code()),
                    };
                )?
                #[allow(unreachable_code)]
                true
            }
        }

        impl Node for $name {
            const XSD_TYPE: Option<(Ns, &'static str)> =
                Some((Ns::Basis, concat!("LDT_", stringify!($name))));
            fn write(&self, w: &mut Writer, ns: Ns, name: &'static str) {
                w.leaf(ns, name, self.code());
            }
            fn read(r: &mut Reader<'_>, empty: bool) -> Result<Option<Self>, Error> {
                let Some(text) = r.read_text(empty)? else { return Ok(None) };
                match Self::from_code(&text) {
                    Some(v) => {
                        v.check(&mut r.report);
                        Ok(Some(v))
                    }
                    None => {
                        unknown_code(&text, stringify!($name), &mut r.report);
                        Ok(None)
                    }
                }
            }
            fn check(&self, rep: &mut Report) {
                if !self.valid_for(rep.ctx.law()) {
                    rep.violation(
                        "XSD-enumeration",
                        format!(
                            "code '{}' of {} is not on the {} list",
                            self.code(),
                            stringify!($name),
                            rep.ctx.law()
                        ),
                    );
                }
            }
            #[cfg(feature = "generate")]
            fn generate(g: &mut crate::generate::Gen) -> Self {
                let law = g.ctx.law();
                let valid: Vec<$name> = Self::ALL.iter().copied().filter(|v| v.valid_for(law)).collect();
                g.pick(stringify!($name), &valid)
            }
        }
    };
}

fn unknown_code(text: &str, list: &str, rep: &mut Report) {
    // Codes are short and never personal; anything else is not echoed.
    let shown = if text.chars().count() <= 4 && text.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("'{text}'")
    } else {
        "the value".to_owned()
    };
    rep.violation(
        "XSD-enumeration",
        format!("{shown} is not a code of {list}"),
    );
}

code_enum! {
    /// LDT_AanduidingWoonadres: Indication of the home address (AanduidingWoonadres).
    AanduidingWoonadres {
        Ab = "AB",
        By = "BY",
        To = "TO",
        Ww = "WW",
    }
}

code_enum! {
    /// LDT_AdresSoort: Kind of address (SoortAdres): 01 BRP, 02 correspondence, 03 residence, 04 temporary.
    AdresSoort {
        A01 = "01",
        A02 = "02",
        A03 = "03",
        A04 = "04",
    }
}

code_enum! {
    /// LDT_Communicatievorm: Form of communication help (Communicatie/Vorm).
    Communicatievorm {
        Tolk = "1",
        Doventolk = "2",
        Anders = "3",
    }
}

code_enum! {
    /// LDT_DatumGebruik: Which part of a birth date is known (DatumGebruik).
    DatumGebruik {
        DagOnbekend = "1",
        DagEnMaandOnbekend = "2",
        Onbekend = "3",
    }
}

code_enum! {
    /// LDT_DebetCredit: Sign of an amount (DebetCredit): D debit, C credit.
    DebetCredit {
        Credit = "C",
        Debet = "D",
    }
}

code_enum! {
    /// LDT_Eenheid: Unit (Eenheid) of a volume.
    Eenheid {
        Minuut = "01",
        Uur = "04",
        Etmaal = "14",
        Dagdeel = "16",
        StuksOutput = "82",
        Euro = "83",
        StuksInspanning = "84",
    }
}

code_enum! {
    /// LDT_Frequentie: Frequency (Frequentie) of a volume.
    Frequentie {
        PerDag = "1",
        PerWeek = "2",
        PerMaand = "4",
        Totaal = "6",
    }
}

code_enum! {
    /// LDT_Geslacht: Sex (Geslacht).
    Geslacht {
        Onbekend = "0",
        Man = "1",
        Vrouw = "2",
    }
}

code_enum! {
    /// LDT_JaNee: Yes/no (JaNee).
    JaNee {
        Ja = "1",
        Nee = "2",
    }
}

code_enum! {
    /// LDT_JuridischeStatus: Legal status (JuridischeStatus) of the client.
    JuridischeStatus {
        J01 = "01",
        J02 = "02",
        J03 = "03",
        J04 = "04",
        J05 = "05",
        J11 = "11",
        J12 = "12",
    }
}

code_enum! {
    /// LDT_LandCode: Country (LandCode), ISO 3166-1 alpha-2.
    LandCode {
        Ad = "AD",
        Ae = "AE",
        Af = "AF",
        Ag = "AG",
        Ai = "AI",
        Al = "AL",
        Am = "AM",
        Ao = "AO",
        Aq = "AQ",
        Ar = "AR",
        As = "AS",
        At = "AT",
        Au = "AU",
        Aw = "AW",
        Ax = "AX",
        Az = "AZ",
        Ba = "BA",
        Bb = "BB",
        Bd = "BD",
        Be = "BE",
        Bf = "BF",
        Bg = "BG",
        Bh = "BH",
        Bi = "BI",
        Bj = "BJ",
        Bl = "BL",
        Bm = "BM",
        Bn = "BN",
        Bo = "BO",
        Bq = "BQ",
        Br = "BR",
        Bs = "BS",
        Bt = "BT",
        Bv = "BV",
        Bw = "BW",
        By = "BY",
        Bz = "BZ",
        Ca = "CA",
        Cc = "CC",
        Cd = "CD",
        Cf = "CF",
        Cg = "CG",
        Ch = "CH",
        Ci = "CI",
        Ck = "CK",
        Cl = "CL",
        Cm = "CM",
        Cn = "CN",
        Co = "CO",
        Cr = "CR",
        Cu = "CU",
        Cv = "CV",
        Cw = "CW",
        Cx = "CX",
        Cy = "CY",
        Cz = "CZ",
        De = "DE",
        Dj = "DJ",
        Dk = "DK",
        Dm = "DM",
        Do = "DO",
        Dz = "DZ",
        Ec = "EC",
        Ee = "EE",
        Eg = "EG",
        Eh = "EH",
        Er = "ER",
        Es = "ES",
        Et = "ET",
        Fi = "FI",
        Fj = "FJ",
        Fk = "FK",
        Fm = "FM",
        Fo = "FO",
        Fr = "FR",
        Ga = "GA",
        Gb = "GB",
        Gd = "GD",
        Ge = "GE",
        Gf = "GF",
        Gg = "GG",
        Gh = "GH",
        Gi = "GI",
        Gl = "GL",
        Gm = "GM",
        Gn = "GN",
        Gp = "GP",
        Gq = "GQ",
        Gr = "GR",
        Gs = "GS",
        Gt = "GT",
        Gu = "GU",
        Gw = "GW",
        Gy = "GY",
        Hk = "HK",
        Hm = "HM",
        Hn = "HN",
        Hr = "HR",
        Ht = "HT",
        Hu = "HU",
        Id = "ID",
        Ie = "IE",
        Il = "IL",
        Im = "IM",
        In = "IN",
        Io = "IO",
        Iq = "IQ",
        Ir = "IR",
        Is = "IS",
        It = "IT",
        Je = "JE",
        Jm = "JM",
        Jo = "JO",
        Jp = "JP",
        Ke = "KE",
        Kg = "KG",
        Kh = "KH",
        Ki = "KI",
        Km = "KM",
        Kn = "KN",
        Kp = "KP",
        Kr = "KR",
        Kw = "KW",
        Ky = "KY",
        Kz = "KZ",
        La = "LA",
        Lb = "LB",
        Lc = "LC",
        Li = "LI",
        Lk = "LK",
        Lr = "LR",
        Ls = "LS",
        Lt = "LT",
        Lu = "LU",
        Lv = "LV",
        Ly = "LY",
        Ma = "MA",
        Mc = "MC",
        Md = "MD",
        Me = "ME",
        Mf = "MF",
        Mg = "MG",
        Mh = "MH",
        Mk = "MK",
        Ml = "ML",
        Mm = "MM",
        Mn = "MN",
        Mo = "MO",
        Mp = "MP",
        Mq = "MQ",
        Mr = "MR",
        Ms = "MS",
        Mt = "MT",
        Mu = "MU",
        Mv = "MV",
        Mw = "MW",
        Mx = "MX",
        My = "MY",
        Mz = "MZ",
        Na = "NA",
        Nc = "NC",
        Ne = "NE",
        Nf = "NF",
        Ng = "NG",
        Ni = "NI",
        Nl = "NL",
        No = "NO",
        Np = "NP",
        Nr = "NR",
        Nu = "NU",
        Nz = "NZ",
        Om = "OM",
        Pa = "PA",
        Pe = "PE",
        Pf = "PF",
        Pg = "PG",
        Ph = "PH",
        Pk = "PK",
        Pl = "PL",
        Pm = "PM",
        Pn = "PN",
        Pr = "PR",
        Ps = "PS",
        Pt = "PT",
        Pw = "PW",
        Py = "PY",
        Qa = "QA",
        Re = "RE",
        Ro = "RO",
        Rs = "RS",
        Ru = "RU",
        Rw = "RW",
        Sa = "SA",
        Sb = "SB",
        Sc = "SC",
        Sd = "SD",
        Se = "SE",
        Sg = "SG",
        Sh = "SH",
        Si = "SI",
        Sj = "SJ",
        Sk = "SK",
        Sl = "SL",
        Sm = "SM",
        Sn = "SN",
        So = "SO",
        Sr = "SR",
        Ss = "SS",
        St = "ST",
        Sv = "SV",
        Sx = "SX",
        Sy = "SY",
        Sz = "SZ",
        Tc = "TC",
        Td = "TD",
        Tf = "TF",
        Tg = "TG",
        Th = "TH",
        Tj = "TJ",
        Tk = "TK",
        Tl = "TL",
        Tm = "TM",
        Tn = "TN",
        To = "TO",
        Tr = "TR",
        Tt = "TT",
        Tv = "TV",
        Tw = "TW",
        Tz = "TZ",
        Ua = "UA",
        Ug = "UG",
        Um = "UM",
        Us = "US",
        Uy = "UY",
        Uz = "UZ",
        Va = "VA",
        Vc = "VC",
        Ve = "VE",
        Vg = "VG",
        Vi = "VI",
        Vn = "VN",
        Vu = "VU",
        Wf = "WF",
        Ws = "WS",
        Ye = "YE",
        Yt = "YT",
        Za = "ZA",
        Zm = "ZM",
        Zw = "ZW",
    }
}

code_enum! {
    /// LDT_NaamGebruik: How the name is used (NaamGebruik).
    NaamGebruik {
        N1 = "1",
        N2 = "2",
        N3 = "3",
        N4 = "4",
        N5 = "5",
        N6 = "6",
    }
}

code_enum! {
    /// LDT_ProductCategorie: Product category (ProductCategorie); iJw and iWmo have different lists.
    ProductCategorie laws ["31", "32", "33", "34", "35", "36", "37", "38", "40", "41", "42", "43", "44", "45", "46", "47", "48", "49", "50", "51", "52", "53", "54", "55"] ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18"] {
        C01 = "01",
        C02 = "02",
        C03 = "03",
        C04 = "04",
        C05 = "05",
        C06 = "06",
        C07 = "07",
        C08 = "08",
        C09 = "09",
        C10 = "10",
        C11 = "11",
        C12 = "12",
        C13 = "13",
        C14 = "14",
        C15 = "15",
        C16 = "16",
        C17 = "17",
        C18 = "18",
        C31 = "31",
        C32 = "32",
        C33 = "33",
        C34 = "34",
        C35 = "35",
        C36 = "36",
        C37 = "37",
        C38 = "38",
        C40 = "40",
        C41 = "41",
        C42 = "42",
        C43 = "43",
        C44 = "44",
        C45 = "45",
        C46 = "46",
        C47 = "47",
        C48 = "48",
        C49 = "49",
        C50 = "50",
        C51 = "51",
        C52 = "52",
        C53 = "53",
        C54 = "54",
        C55 = "55",
    }
}

code_enum! {
    /// LDT_RedenAfwijzingVerzoek: Reason a request was refused (RedenAfwijzingVerzoek).
    RedenAfwijzingVerzoek {
        R1 = "1",
        R2 = "2",
        R3 = "3",
        R4 = "4",
        R5 = "5",
        R6 = "6",
        R7 = "7",
        R8 = "8",
        R9 = "9",
    }
}

code_enum! {
    /// LDT_RedenBeeindiging: Reason care ended (RedenBeeindiging); iJw and iWmo have different lists.
    RedenBeeindiging laws ["02", "20", "31", "32", "33", "34", "35", "36", "37", "38", "39"] ["02", "19", "20", "21", "22", "23", "31", "36", "37", "38", "39"] {
        R02 = "02",
        R19 = "19",
        R20 = "20",
        R21 = "21",
        R22 = "22",
        R23 = "23",
        R31 = "31",
        R32 = "32",
        R33 = "33",
        R34 = "34",
        R35 = "35",
        R36 = "36",
        R37 = "37",
        R38 = "38",
        R39 = "39",
    }
}

code_enum! {
    /// LDT_RedenVerzoek: Reason for a request for change (RedenVerzoek).
    RedenVerzoek {
        WijzigingToewijzing = "1",
        NieuweToewijzing = "2",
    }
}

code_enum! {
    /// LDT_RedenWijziging: Reason an allocation changed (RedenWijziging).
    RedenWijziging {
        R01 = "01",
        R02 = "02",
        R03 = "03",
        R04 = "04",
        R05 = "05",
        R06 = "06",
        R07 = "07",
        R08 = "08",
        R09 = "09",
        R10 = "10",
        R11 = "11",
        R12 = "12",
        R13 = "13",
        R14 = "14",
    }
}

code_enum! {
    /// LDT_RetourCode: Return code (RetourCode, codelist WJ001) in retour and answer messages.
    RetourCode {
        R0001 = "0001",
        R0200 = "0200",
        R0233 = "0233",
        R0611 = "0611",
        R8001 = "8001",
        R8017 = "8017",
        R8021 = "8021",
        R8187 = "8187",
        R8214 = "8214",
        R8848 = "8848",
        R9019 = "9019",
        R9056 = "9056",
        R9063 = "9063",
        R9069 = "9069",
        R9071 = "9071",
        R9074 = "9074",
        R9307 = "9307",
        R9308 = "9308",
        R9319 = "9319",
        R9321 = "9321",
        R9322 = "9322",
        R9326 = "9326",
        R9332 = "9332",
        R9333 = "9333",
        R9338 = "9338",
        R9339 = "9339",
        R9340 = "9340",
        R9341 = "9341",
        R9346 = "9346",
        R9347 = "9347",
        R9349 = "9349",
        R9350 = "9350",
        R9351 = "9351",
        R9355 = "9355",
        R9357 = "9357",
        R9359 = "9359",
        R9360 = "9360",
        R9361 = "9361",
        R9365 = "9365",
        R9366 = "9366",
        R9367 = "9367",
        R9369 = "9369",
        R9373 = "9373",
        R9374 = "9374",
        R9375 = "9375",
        R9379 = "9379",
        R9384 = "9384",
        R9385 = "9385",
        R9387 = "9387",
        R9388 = "9388",
        R9389 = "9389",
        R9390 = "9390",
        R9411 = "9411",
        R9412 = "9412",
        R9413 = "9413",
        R9414 = "9414",
        R9415 = "9415",
        RS300 = "S300",
        RS329 = "S329",
    }
}

code_enum! {
    /// LDT_SoortRelatie: Kind of relation (SoortRelatie) of a related person.
    SoortRelatie {
        S03 = "03",
        S04 = "04",
        S05 = "05",
        S06 = "06",
        S07 = "07",
        S08 = "08",
        S09 = "09",
        S10 = "10",
        S11 = "11",
        S12 = "12",
        S13 = "13",
        S14 = "14",
        S15 = "15",
        S16 = "16",
        S17 = "17",
        S18 = "18",
        S19 = "19",
        S20 = "20",
        S21 = "21",
        S22 = "22",
        S23 = "23",
        S24 = "24",
        S25 = "25",
    }
}

code_enum! {
    /// LDT_StatusAanlevering: Status of a delivery (StatusAanlevering) in 305/307.
    StatusAanlevering {
        EersteAanlevering = "1",
        Gewijzigd = "2",
        Verwijderen = "3",
        Overig = "9",
    }
}

code_enum! {
    /// LDT_TypeVerwijzer: Type of referrer (TypeVerwijzer).
    TypeVerwijzer {
        T01 = "01",
        T02 = "02",
        T03 = "03",
        T04 = "04",
        T05 = "05",
        T06 = "06",
        T08 = "08",
    }
}

code_enum! {
    /// LDT_VerzoekAntwoord: Answer to a request (VerzoekAntwoord) in a 319.
    VerzoekAntwoord {
        Afgewezen = "1",
        InOnderzoek = "2",
    }
}

code_enum! {
    /// LDT_WettelijkeVertegenwoordiging: Legal representation (WettelijkeVertegenwoordiging).
    WettelijkeVertegenwoordiging {
        W06 = "06",
        W07 = "07",
        W08 = "08",
        W09 = "09",
        W10 = "10",
    }
}

impl Eenheid {
    /// The unit's name as codelist WJ756 gives it (e.g. `Uur`, `Dagdeel (4 uur)`).
    pub fn description(self) -> &'static str {
        match self {
            Eenheid::Minuut => "Minuut",
            Eenheid::Uur => "Uur",
            Eenheid::Etmaal => "Etmaal",
            Eenheid::Dagdeel => "Dagdeel (4 uur)",
            Eenheid::StuksOutput => "Stuks (output)",
            Eenheid::Euro => "Euro's",
            Eenheid::StuksInspanning => "Stuks (inspanning)",
        }
    }
}

impl ProductCategorie {
    /// The category's name as codelist JZ020 (iJw, codes 31–55) or WMO020 (iWmo, 01–18) gives
    /// it; the lists do not overlap.
    pub fn description(self) -> &'static str {
        use ProductCategorie as C;
        match self {
            C::C01 => "Hulp bij het huishouden",
            C::C02 => "Begeleiding",
            C::C03 => "Persoonlijke verzorging",
            C::C04 => "Kortdurend verblijf",
            C::C05 => "Woondiensten",
            C::C06 => "Overige ondersteuning gericht op het individu of huishouden/gezin",
            C::C07 => "Dagbesteding",
            C::C08 => "Vervoerdiensten",
            C::C09 => "Overige groepsgerichte ondersteuning",
            C::C10 => "Overige maatwerk arrangementen",
            C::C11 => "Rolstoelen",
            C::C12 => "Vervoervoorzieningen",
            C::C13 => "Woonvoorzieningen",
            C::C14 => "Overige hulpmiddelen",
            C::C15 => "Beschermd wonen",
            C::C16 => "Opvang",
            C::C17 => "Spoedopvang",
            C::C18 => "Overige beschermd wonen en opvang",
            C::C31 => "(2015) Zonder verblijf: uitgevoerd door wijk- of buurtteam",
            C::C32 => "(2015) Zonder verblijf: ambulante jeugdhulp op locatie van de aanbieder",
            C::C33 => "(2015) Zonder verblijf: daghulp op locatie van de aanbieder",
            C::C34 => "(2015) Zonder verblijf: jeugdhulp in het netwerk van de jeugdige",
            C::C35 => "(2015) Met verblijf: pleegzorg",
            C::C36 => "(2015) Met verblijf: gezinsgericht",
            C::C37 => "(2015) Met verblijf: gesloten plaatsing",
            C::C38 => "(2015) Met verblijf: overig residentieel",
            C::C40 => "Persoonlijke verzorging",
            C::C41 => "Dagbehandeling",
            C::C42 => "Vervoerdiensten",
            C::C43 => "Jeugdhulp verblijf (incl. behandeling)",
            C::C44 => "Jeugdhulp verblijf (excl. behandeling)",
            C::C45 => "Jeugdhulp ambulant",
            C::C46 => "Jeugdhulp crisis",
            C::C47 => "Jeugdreclassering",
            C::C48 => "Jeugdbescherming",
            C::C49 => "Activiteiten in het preventief justitieel kader",
            C::C50 => "Maatwerkarrangementen jeugd",
            C::C51 => "Generalistische basis-ggz",
            C::C52 => "Specialistische ggz",
            C::C53 => "Kindergeneeskunde",
            C::C54 => "Jeugd-ggz",
            C::C55 => "Landelijk ingekochte zorg",
        }
    }
}
