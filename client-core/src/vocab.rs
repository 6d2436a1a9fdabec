//! Typed vocabularies: the words an API answers with (a status, a role, a
//! type) as enums that never fail to decode. [`crate::string_enum!`] defines
//! one: a variant per known word, an `Unknown(String)` catch-all that keeps a
//! word a newer server introduced, and serde as the plain string, so a value
//! read and written again is the same word.

/// Defines a string vocabulary: an enum with one variant per known word (each
/// with its spelling and any older spellings after `|`), an `Unknown(String)`
/// variant keeping any other word verbatim, `as_str`, `is_known`, `Display`, `From<&str>`,
/// a `Default` of `Unknown("")` (what a missing field decodes to), and serde
/// as a plain string.
///
/// ```
/// client_core::string_enum! {
///     /// A light's state.
///     Light {
///         /// Lit.
///         On => "on" | "lit",
///         /// Dark.
///         Off => "off",
///     }
/// }
/// assert_eq!(Light::from("lit"), Light::On);
/// assert_eq!(Light::On.as_str(), "on");
/// let blinking: Light = serde_json::from_str(r#""blinking""#).unwrap();
/// assert_eq!(blinking, Light::Unknown("blinking".into()));
/// assert_eq!(serde_json::to_string(&blinking).unwrap(), r#""blinking""#);
/// assert!(Light::Off.is_known() && !blinking.is_known());
/// assert_eq!(Light::default().as_str(), "");
/// ```
#[macro_export]
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $word:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A word this crate does not know (kept verbatim; empty when the field was missing).
            Unknown(::std::string::String),
        }

        impl $name {
            /// The word as the API spells it (an unknown word as it was received).
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $word, )+
                    Self::Unknown(other) => other,
                }
            }

            /// False for a word this crate does not know ([`Self::Unknown`]).
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::default::Default for $name {
            fn default() -> Self {
                Self::Unknown(::std::string::String::new())
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(word: &str) -> Self {
                match word {
                    $( $word $(| $alias)* => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: $crate::__private::serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: $crate::__private::serde::Deserializer<'de>,
            {
                use $crate::__private::serde::Deserialize as _;
                let word = ::std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(Self::from(&*word))
            }
        }
    };
}
