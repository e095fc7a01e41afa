//! Regional wording: mainland and Taiwan Chinese often name one thing with different
//! words (软件 and 軟體, 打印机 and 印表機, 网络 and 網路, 也门 and 葉門). Folding
//! Traditional characters to Simplified does not bring those together — 軟體 folds to
//! 软体, not 软件 — so a search in one region's words misses articles written in the
//! other's. Queries therefore look each Chinese word up in OpenCC's Taiwan phrase tables
//! (the `s2twp` and `tw2sp` conversions, which OpenCC users convert whole texts with) and
//! search the other region's word too. Indexing is untouched: articles keep the words
//! they were written with, and an index needs no rebuild.
//!
//! Many pairs are not interchangeable: OpenCC's tables translate computing terms, and
//! the Taiwan word is often an everyday mainland word with a meaning of its own (资料 is
//! "materials" as well as Taiwan's "data", 影片 "film", 支援 "aid" beside Taiwan's
//! "support", 新增 the "newly reported" of case counts beside Taiwan's "add", 物件 an
//! "item" beside Taiwan's "object"). Searching 支持 would then find every article about
//! aid. A pair is used only when jieba's dictionary, counted over mainland text, has the
//! Taiwan word at most a [`RARER_BY`]th as often as the mainland one, so that little
//! mainland text holding it means something else: 软体 (30) against 软件 (4601), 网路
//! (73) against 网络 (8352) and 资讯 (561) against 信息 (12256) are used; 支援 (2000)
//! against 支持 (10928), 物件 (395) against 对象 (4511) and 资料 (9021) against 数据
//! (5232) are not. ARCHITECTURE.md gives what the pairs found on real news.

use std::sync::LazyLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;

/// How much rarer on the mainland a Taiwan word must be than the mainland word it
/// stands for, by jieba's counts, for the pair to be used.
pub(crate) const RARER_BY: usize = 20;

/// Where a wording is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Region {
    /// Mainland China, written in Simplified characters.
    Mainland,
    /// Taiwan, written in Traditional characters.
    Taiwan,
}

impl Region {
    /// How a note names the region's wording: `Taiwan's "軟體"`.
    pub(crate) fn possessive(self) -> &'static str {
        match self {
            Region::Mainland => "the mainland's",
            Region::Taiwan => "Taiwan's",
        }
    }
}

/// OpenCC's conversions between the two regions' wordings.
pub(crate) struct RegionalTables {
    /// Simplified to Traditional with Taiwan's words (`软件` → `軟體`).
    to_taiwan: OpenCC,
    /// Simplified to Traditional characters, words unchanged (`软体` → `軟體`).
    to_traditional: OpenCC,
    /// Traditional with Taiwan's words to Simplified with the mainland's (`軟體` → `软件`).
    to_mainland: OpenCC,
}

/// Loaded on the first query that needs them (a few milliseconds), or by
/// `NewsIndex::preload`: building an index never does.
static TABLES: LazyLock<Option<RegionalTables>> = LazyLock::new(|| match RegionalTables::load() {
    Ok(tables) => Some(tables),
    Err(error) => {
        tracing::warn!(%error, "OpenCC's Taiwan phrase tables did not load; queries search words as written");
        None
    }
});

impl RegionalTables {
    /// The tables of this process, if they loaded (they are built into the binary).
    pub(crate) fn shared() -> Option<&'static RegionalTables> {
        TABLES.as_ref()
    }

    fn load() -> ferrous_opencc::error::Result<RegionalTables> {
        Ok(RegionalTables {
            to_taiwan: OpenCC::from_config(BuiltinConfig::S2twp)?,
            to_traditional: OpenCC::from_config(BuiltinConfig::S2tw)?,
            to_mainland: OpenCC::from_config(BuiltinConfig::Tw2sp)?,
        })
    }

    /// Simplified `text` in Traditional characters, with no word changed (`上涨` →
    /// `上漲`, `关系` → `關係`).
    pub(crate) fn traditional(&self, text: &str) -> String {
        self.to_traditional.convert(text)
    }

    /// `word` (folded to Simplified, as analysis leaves it) as the other region would
    /// write it: its Taiwan wording in Traditional characters, and its mainland wording in
    /// Simplified when `word` is Taiwan's. Either may equal `word` once folded again; the
    /// caller checks, and weighs each pair (see the module's documentation).
    pub(crate) fn wordings(&self, word: &str) -> [(Region, String); 2] {
        [
            (Region::Taiwan, self.to_taiwan.convert(word)),
            (Region::Mainland, self.to_mainland.convert(&self.to_traditional.convert(word))),
        ]
    }
}
