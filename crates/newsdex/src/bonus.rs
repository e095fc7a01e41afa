//! A query with score bonuses that are only checked on its own matches.
//!
//! The proximity bonus (the query's words as a sloppy phrase) never decides whether an
//! article matches; it only adds to the score of articles that already do. As a `Should`
//! clause of a tantivy boolean query it costs far more than that: a phrase scorer walks to
//! its first match when it is made, and the union of the title and body phrases walks
//! every phrase match in windows of 4,096 documents — the whole intersection of the words
//! in each field, however few articles the query itself matches. Here each bonus is asked,
//! for each match of the query and in document order, only whether it matches there
//! (`DocSet::seek_danger`), which for a phrase is one skip-list seek per word and a look at
//! the positions. Scores are the same sums as the boolean query's.
//!
//! Ranking the top hits, the bonuses are not asked at all about an article whose score
//! without them, plus the most they could add, cannot beat the last of the hits kept so
//! far. A bonus is a phrase scored by BM25, which never exceeds the phrase's weight (its
//! words' summed idf × (1 + k1) × its boost); and where the query vouches for it, the
//! bonuses add at most a fixed multiple of the score without them (see
//! [`WithBonus::at_most_times_required`]), which is far tighter. Two frequent words
//! together (`中国 经济`, 220,000 matches in a million articles) spend most of their time
//! in the phrase's positions otherwise.
//!
//! Where the query's score is known to be at most the summed scores of some field terms
//! (its words in the title and body, see [`WithBonus::at_most_terms`]), the ranking also
//! passes over matches unvisited, as MaxScore does for unions: once the hits kept so far
//! are good enough, an article holding none of a few "essential" terms (the words in the
//! title, say) cannot beat the last of them even with the most every other term and the
//! bonuses could add, so only the articles holding an essential term are visited — the
//! rare terms lead the conjunction. Likewise an article missing one "required" term (with
//! everything else at its most) cannot beat them: then only articles holding all the
//! required terms are visited. The bar a segment's ranking reaches carries over to the
//! segments ranked after it. Matches passed over are not counted; the caller learns that
//! from [`MatchCount`]. Leapfrogging seeks the candidate terms' postings besides the
//! query's, so a segment only does it when they hold far fewer documents than the query
//! would visit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tantivy::postings::SegmentPostings;
use tantivy::query::{Bm25Weight, EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SeekDangerResult, SegmentReader, TERMINATED, Term};

use crate::filtered::under_filters;
use crate::max_score::SegmentBar;

/// A score bonus: the words of a phrase in one field, found within `slop` of their
/// offsets, BM25-scored and multiplied by `boost`.
#[derive(Debug, Clone)]
pub(crate) struct Bonus {
    phrase: PhraseQuery,
    terms: Vec<Term>,
    boost: Score,
}

impl Bonus {
    /// The phrase of `terms` (each with its offset; at least two, all in one field).
    pub(crate) fn phrase(terms: Vec<(usize, Term)>, slop: u32, boost: Score) -> Bonus {
        let words = terms.iter().map(|(_, term)| term.clone()).collect();
        Bonus { phrase: PhraseQuery::new_with_offset_and_slop(terms, slop), terms: words, boost }
    }

    /// The bonus's query, scored as it scores.
    pub(crate) fn query(&self) -> Box<dyn Query> {
        let phrase = Box::new(self.phrase.clone());
        if (self.boost - 1.0).abs() < f32::EPSILON {
            phrase
        } else {
            Box::new(tantivy::query::BoostQuery::new(phrase, self.boost))
        }
    }

    /// The most the bonus can add to a score: BM25's term-frequency factor stays below 1,
    /// so a phrase never scores its weight. Rounded up a little, so summing in another
    /// order cannot put a real score above it.
    fn ceiling(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Option<Score>> {
        let EnableScoring::Enabled { statistics_provider, .. } = enable_scoring else {
            return Ok(None);
        };
        let weight = Bm25Weight::for_terms(statistics_provider, &self.terms)?.boost_by(self.boost);
        Ok(Some(weight.max_score() * 1.001 + f32::EPSILON))
    }
}

/// The matches the top-k ranking of a [`WithBonus`] visited: their number is the total
/// unless it passed over some.
#[derive(Debug, Default)]
pub(crate) struct MatchCount {
    visited: AtomicU64,
    passed_over: AtomicBool,
}

impl MatchCount {
    /// A counter already holding `limit` matches: a ranking counting into it up to that
    /// limit visits no match only to count it.
    pub(crate) fn holding(limit: u64) -> MatchCount {
        MatchCount { visited: AtomicU64::new(limit), passed_over: AtomicBool::new(false) }
    }

    /// The number of live matches, when the ranking visited them all.
    pub(crate) fn exact(&self) -> Option<u64> {
        (!self.passed_over.load(Ordering::Relaxed)).then(|| self.visited())
    }

    /// `limit`, when the ranking passed over matches after visiting at least that many:
    /// a lower bound of the total without counting again.
    pub(crate) fn at_least(&self, limit: u64) -> Option<u64> {
        (self.passed_over.load(Ordering::Relaxed) && self.visited() >= limit).then_some(limit)
    }

    /// The live matches visited so far.
    pub(crate) fn visited(&self) -> u64 {
        self.visited.load(Ordering::Relaxed)
    }

    /// Adds a segment's ranking: the live matches it visited and whether it passed over
    /// any.
    pub(crate) fn add(&self, visited: u64, passed_over: bool) {
        self.visited.fetch_add(visited, Ordering::Relaxed);
        if passed_over {
            self.passed_over.store(true, Ordering::Relaxed);
        }
    }
}

/// `required`'s matches, each scored by its score plus the scores of the bonuses that match
/// there.
#[derive(Debug)]
pub(crate) struct WithBonus {
    required: Box<dyn Query>,
    bonuses: Vec<Bonus>,
    /// At any match, the bonuses together add at most this multiple of `required`'s score.
    ratio: Option<Score>,
    /// At any document, `required`'s score is at most the sum of these terms' scores,
    /// each with its boost.
    bounding_terms: Option<Vec<(Term, Score)>>,
    /// Counts the live matches the top-k ranking visits.
    counter: Option<Arc<MatchCount>>,
}

impl WithBonus {
    pub(crate) fn new(required: Box<dyn Query>, bonuses: Vec<Bonus>) -> WithBonus {
        WithBonus { required, bonuses, ratio: None, bounding_terms: None, counter: None }
    }

    /// Adds to `counter` the live matches of every segment the top-k ranking visits. It
    /// visits every match unless the query is bounded by terms (see
    /// [`WithBonus::at_most_terms`]), so the total usually comes without a second,
    /// counting pass.
    pub(crate) fn counting(self, counter: Arc<MatchCount>) -> WithBonus {
        WithBonus { counter: Some(counter), ..self }
    }

    /// Tells the top-k ranking that at any document, `required` scores at most the sum of
    /// what these terms score there (BM25, each multiplied by its boost); the caller
    /// vouches for it. It holds for a boolean query of words, each a union of its field
    /// terms with those boosts, every clause adding to the score. The ranking then passes
    /// over the matches that do not hold enough of these terms to beat the hits kept.
    pub(crate) fn at_most_terms(self, terms: Vec<(Term, Score)>) -> WithBonus {
        WithBonus { bounding_terms: Some(terms), ..self }
    }

    /// Tells the top-k ranking that at any document `required` matches, the bonuses
    /// together add at most `ratio` × `required`'s score there; the caller vouches for it.
    /// (Debug builds check it at every document they score.)
    ///
    /// It holds for a two-word phrase whose words `required` scores, each in every field
    /// of the bonuses with the same boost as the phrase divided by `ratio`, and adds to
    /// the score: where the phrase matches in a field, its count is at most either word's
    /// frequency there, BM25's frequency factor grows with the count, and the phrase's
    /// weight is the sum of its words' idfs, so its score is at most `ratio` × the two
    /// words' scores in that field.
    pub(crate) fn at_most_times_required(self, ratio: Score) -> WithBonus {
        WithBonus { ratio: Some(ratio), ..self }
    }

    /// The same query, matching only where `filters` (queries that add nothing to scores)
    /// match as well. Inside, the filters leave the ranking of the top hits free to skip
    /// the bonuses.
    pub(crate) fn filtered(self, filters: Vec<Box<dyn Query>>) -> WithBonus {
        WithBonus { required: under_filters(self.required, filters), ..self }
    }
}

impl Clone for WithBonus {
    fn clone(&self) -> WithBonus {
        WithBonus {
            required: self.required.box_clone(),
            bonuses: self.bonuses.clone(),
            ratio: self.ratio,
            bounding_terms: self.bounding_terms.clone(),
            counter: self.counter.clone(),
        }
    }
}

impl Query for WithBonus {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let required = self.required.weight(enable_scoring)?;
        if !enable_scoring.is_scoring_enabled() {
            // Bonuses only change scores.
            return Ok(required);
        }
        let bonuses = self
            .bonuses
            .iter()
            .map(|bonus| bonus.query().weight(enable_scoring).map(Arc::from))
            .collect::<tantivy::Result<_>>()?;
        // With a ratio the ceiling would cost the bonuses' statistics a second time for a
        // bound the ratio's beats on nearly every match.
        let ceilings: Vec<Option<Score>> = if self.ratio.is_some() {
            vec![None; self.bonuses.len()]
        } else {
            self.bonuses.iter().map(|bonus| bonus.ceiling(enable_scoring)).collect::<tantivy::Result<_>>()?
        };
        let bounding_terms = match (&self.bounding_terms, enable_scoring) {
            (Some(terms), EnableScoring::Enabled { statistics_provider, .. }) => Some(
                terms
                    .iter()
                    .map(|(term, boost)| {
                        let weight = Bm25Weight::for_terms(statistics_provider, std::slice::from_ref(term))?;
                        Ok((term.clone(), weight.boost_by(*boost).max_score() * 1.001 + f32::EPSILON))
                    })
                    .collect::<tantivy::Result<_>>()?,
            ),
            _ => None,
        };
        let bonus_words = self.bonuses.iter().map(|bonus| bonus.terms.clone()).collect();
        Ok(Box::new(WithBonusWeight {
            required,
            bonuses,
            ceilings,
            ratio: self.ratio,
            bounding_terms,
            bonus_words,
            bar: SegmentBar::default(),
            counter: self.counter.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.required.query_terms(visitor);
        for bonus in &self.bonuses {
            bonus.phrase.query_terms(visitor);
        }
    }
}

struct WithBonusWeight {
    required: Box<dyn Weight>,
    bonuses: Vec<Arc<dyn Weight>>,
    /// The most each bonus can add, when known.
    ceilings: Vec<Option<Score>>,
    /// The most they can add, as a multiple of the required score.
    ratio: Option<Score>,
    /// Terms whose summed scores bound the required score, each with the most it can
    /// score (boost included).
    bounding_terms: Option<Vec<(Term, Score)>>,
    /// Each bonus's words: it adds nothing to an article missing one of them.
    bonus_words: Vec<Vec<Term>>,
    bar: SegmentBar,
    counter: Option<Arc<MatchCount>>,
}

impl WithBonusWeight {
    /// Each bonus's words and ceiling.
    fn bonus_limits(&self) -> impl Iterator<Item = (&[Term], Option<Score>)> {
        self.bonus_words.iter().map(Vec::as_slice).zip(self.ceilings.iter().copied())
    }

    fn with_bonus_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<WithBonusScorer> {
        let required = self.required.scorer(reader, boost)?;
        let probes = self.bonuses.iter().map(|bonus| Probe::Unmade(Arc::clone(bonus))).collect();
        Ok(WithBonusScorer { required, reader: reader.clone(), boost, probes })
    }
}

impl Weight for WithBonusWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let scorer = self.with_bonus_scorer(reader, boost)?;
        if scorer.required.doc() == TERMINATED {
            return Ok(scorer.required);
        }
        Ok(Box::new(scorer))
    }

    /// For the top-k collector: a match whose score without bonuses plus their ceiling
    /// does not beat `threshold` could not be collected, so its bonuses are not asked;
    /// with bounding terms, a match holding no essential term is not visited at all.
    fn for_each_pruning(
        &self,
        mut threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut scorer = self.with_bonus_scorer(reader, 1.0)?;
        threshold = self.bar.lift(threshold);
        // The most all bonuses together can add to a score.
        let ceiling = self
            .ceilings
            .iter()
            .try_fold(0.0, |sum, most| most.map(|most| sum + most))
            .unwrap_or(Score::INFINITY);
        // Rounded up a little: the real sum may round differently.
        let most_bonus = |required: Score| {
            self.ratio.map_or(ceiling, |ratio| ceiling.min(ratio * required * 1.001 + f32::EPSILON))
        };
        // Made once there is a threshold to choose by: a query with fewer matches than
        // the page never needs it.
        let mut essential: Option<EssentialTerms> = None;
        let driver_cost = scorer.required.cost();
        let made = |threshold: Score| -> tantivy::Result<Option<EssentialTerms>> {
            let Some(terms) = &self.bounding_terms else { return Ok(None) };
            let mut essential =
                EssentialTerms::new(terms, self.bonus_limits(), self.ratio, driver_cost, reader)?;
            essential.choose(threshold);
            Ok(Some(essential))
        };
        // Few documents to visit: leapfrogging could not save what reading its terms costs.
        let leapfrogs = driver_cost >= MIN_LEAPFROG_COST || always_leapfrog();
        if threshold > Score::MIN && leapfrogs {
            essential = made(threshold)?;
        }
        let mut passed_over = false;
        let alive = reader.alive_bitset();
        let mut matches = 0u64;
        let mut doc = scorer.required.doc();
        while doc != TERMINATED {
            if let Some(essential) = essential.as_mut() {
                let candidate = essential.next_from(doc);
                if candidate != doc {
                    passed_over = true;
                    if candidate == TERMINATED {
                        break;
                    }
                    doc = scorer.required.seek(candidate);
                    continue;
                }
            }
            matches += u64::from(alive.is_none_or(|alive| alive.is_alive(doc)));
            let required = scorer.required.score();
            let most = most_bonus(required);
            if required + most > threshold {
                let score = scorer.add_bonuses(doc, required, threshold, &self.ceilings);
                debug_assert!(
                    score - required <= most,
                    "bonuses of {} over their bound {most} at document {doc}",
                    score - required
                );
                if score > threshold {
                    let raised = callback(doc, score);
                    if raised > threshold {
                        self.bar.reached(raised);
                        match essential.as_mut() {
                            Some(essential) => essential.choose(raised),
                            None if leapfrogs => essential = made(raised)?,
                            None => {}
                        }
                        threshold = raised;
                    }
                }
            }
            doc = match essential.as_mut() {
                // Straight to the next document that could beat the threshold, past any
                // match before it.
                Some(essential) if !essential.every_match && doc + 1 < TERMINATED => {
                    let candidate = essential.next_from(doc + 1);
                    if candidate == TERMINATED {
                        passed_over = true;
                        break;
                    }
                    scorer.required.seek(candidate)
                }
                _ => scorer.required.advance(),
            };
        }
        if let Some(counter) = &self.counter {
            counter.add(matches, passed_over);
        }
        Ok(())
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let required = self.required.explain(reader, doc)?;
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} does not match")));
        }
        let mut explanation = Explanation::new("sum of the query and its bonuses", scorer.score());
        explanation.add_detail(required);
        for bonus in &self.bonuses {
            if let Ok(detail) = bonus.explain(reader, doc) {
                explanation.add_detail(detail);
            }
        }
        Ok(explanation)
    }
}

/// How many times fewer documents than the query's own visit leapfrogging must look at
/// to be chosen.
const LEAPFROG_GAIN: u64 = 2;

/// Below this many documents in the postings leading the query's conjunction, a segment's
/// ranking visits every match without reading the terms leapfrogging needs.
const MIN_LEAPFROG_COST: u64 = 1024;

#[cfg(test)]
thread_local! {
    static ALWAYS_LEAPFROG: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether rankings on this thread leapfrog whenever the threshold allows, however many
/// documents that looks at: tests use it so the small sample exercises leapfrogging.
fn always_leapfrog() -> bool {
    #[cfg(test)]
    {
        ALWAYS_LEAPFROG.with(std::cell::Cell::get)
    }
    #[cfg(not(test))]
    {
        false
    }
}

/// Runs `rank` with leapfrogging chosen whenever the threshold allows (on this thread).
#[cfg(test)]
pub(crate) fn leapfrogging_always<T>(rank: impl FnOnce() -> T) -> T {
    ALWAYS_LEAPFROG.with(|always| always.set(true));
    let ranked = rank();
    ALWAYS_LEAPFROG.with(|always| always.set(false));
    ranked
}

/// The bounding terms of one segment, split by the ranking's threshold into the
/// essential ones and the rest: an article holding no essential term scores at most the
/// threshold, counting the most every other term and every bonus could add there.
struct EssentialTerms {
    /// Each term's postings (none when the segment lacks it) and the most it can score.
    terms: Vec<(Option<SegmentPostings>, Score)>,
    /// For each bonus, the indices of its words among `terms` (`None` for a word that is
    /// not one of them) and its ceiling, when known.
    bonuses: Vec<(Vec<Option<usize>>, Option<Score>)>,
    /// A bonus adds at most this multiple of what its words score.
    ratio: Option<Score>,
    /// Term indices, the highest scoring first.
    by_score: Vec<usize>,
    /// Which terms are essential; when all are, every match is visited.
    essential: Vec<bool>,
    /// Which terms an article must hold to beat the threshold.
    required: Vec<bool>,
    every_match: bool,
    /// About how many documents visiting every match looks at: the postings of the
    /// query's rarest word, which leads its conjunction.
    driver_cost: u64,
}

impl EssentialTerms {
    fn new<'a>(
        terms: &[(Term, Score)],
        bonuses: impl Iterator<Item = (&'a [Term], Option<Score>)>,
        ratio: Option<Score>,
        driver_cost: u64,
        reader: &SegmentReader,
    ) -> tantivy::Result<EssentialTerms> {
        let mut postings = Vec::with_capacity(terms.len());
        for (term, most) in terms {
            let inverted_index = reader.inverted_index(term.field())?;
            postings.push((inverted_index.read_postings(term, IndexRecordOption::Basic)?, *most));
        }
        let bonuses = bonuses
            .map(|(words, ceiling)| {
                let indices =
                    words.iter().map(|word| terms.iter().position(|(term, _)| term == word)).collect();
                (indices, ceiling)
            })
            .collect();
        let mut by_score: Vec<usize> = (0..terms.len()).collect();
        by_score.sort_by(|&a, &b| terms[b].1.total_cmp(&terms[a].1));
        Ok(EssentialTerms {
            terms: postings,
            bonuses,
            ratio,
            by_score,
            essential: vec![true; terms.len()],
            required: vec![false; terms.len()],
            every_match: true,
            driver_cost,
        })
    }

    /// The most an article can score when it holds none of the terms `absent` names.
    fn bound_without(&self, absent: impl Fn(usize) -> bool) -> Score {
        let held = |index: usize| !absent(index) && self.terms[index].0.is_some();
        let mut most: Score =
            (0..self.terms.len()).filter(|&index| held(index)).map(|index| self.terms[index].1).sum();
        for (words, ceiling) in &self.bonuses {
            // A bonus needs all its words; one the article cannot hold rules it out.
            let mut words_most = 0.0;
            let mut possible = true;
            for word in words {
                match word {
                    Some(index) if held(*index) => words_most += self.terms[*index].1,
                    Some(_) => possible = false,
                    None => words_most = Score::INFINITY,
                }
            }
            if possible {
                let own = ceiling.unwrap_or(Score::INFINITY);
                most += self.ratio.map_or(own, |ratio| own.min(ratio * words_most * 1.001 + f32::EPSILON));
            }
        }
        most
    }

    /// Splits the terms for `threshold`: those an article must hold to beat it (missing
    /// one alone, with every other term and bonus at its most, would not), and the fewest
    /// of the highest-scoring terms it must hold one of.
    fn choose(&mut self, threshold: Score) {
        for index in 0..self.terms.len() {
            self.required[index] = self.bound_without(|other| other == index) <= threshold;
        }
        self.essential.fill(false);
        self.every_match = true;
        for position in 0..self.by_score.len() {
            if self.bound_without(|index| self.essential[index]) <= threshold {
                self.every_match = false;
                break;
            }
            self.essential[self.by_score[position]] = true;
        }
        if self.required.contains(&true) {
            self.every_match = false;
        }
        if !self.every_match && self.candidates() * LEAPFROG_GAIN > self.driver_cost && !always_leapfrog() {
            // Leapfrogging seeks the candidates' postings besides the query's own: worth
            // it only when they hold far fewer documents than the query would visit.
            self.every_match = true;
        }
    }

    /// About how many documents leapfrogging looks at: the rarest required term's, or else
    /// the essential terms' together.
    fn candidates(&self) -> u64 {
        let doc_freq = |index: usize| self.terms[index].0.as_ref().map_or(0, |p| u64::from(p.doc_freq()));
        let indices = 0..self.terms.len();
        if self.required.contains(&true) {
            indices.filter(|&index| self.required[index]).map(doc_freq).min().unwrap_or(0)
        } else {
            indices.filter(|&index| self.essential[index]).map(doc_freq).sum()
        }
    }

    /// The first document from `doc` on that could beat the threshold: holding every
    /// required term, or else an essential one (`doc` itself while every match is
    /// visited). `doc` never decreases between calls.
    fn next_from(&mut self, doc: DocId) -> DocId {
        if self.every_match {
            return doc;
        }
        if self.required.contains(&true) {
            let mut target = doc;
            loop {
                let mut agreed = true;
                for (index, (postings, _)) in self.terms.iter_mut().enumerate() {
                    if !self.required[index] {
                        continue;
                    }
                    let Some(postings) = postings else { return TERMINATED };
                    if postings.doc() < target {
                        postings.seek(target);
                    }
                    let found = postings.doc();
                    if found == TERMINATED {
                        return TERMINATED;
                    }
                    if found > target {
                        target = found;
                        agreed = false;
                    }
                }
                if agreed {
                    return target;
                }
            }
        }
        let mut next = TERMINATED;
        for (index, (postings, _)) in self.terms.iter_mut().enumerate() {
            if !self.essential[index] {
                continue;
            }
            if let Some(postings) = postings {
                if postings.doc() < doc {
                    postings.seek(doc);
                }
                next = next.min(postings.doc());
            }
        }
        next
    }
}

/// A bonus asked about documents in increasing order, each only whether it matches
/// there. Its scorer is made at the first document asked about: made earlier, it would
/// align its words from the segment's start.
enum Probe {
    /// The bonus's weight, before the first document.
    Unmade(Arc<dyn Weight>),
    Made {
        scorer: Box<dyn Scorer>,
        /// The document the scorer stands on, validly, after a match.
        found: Option<DocId>,
        /// No match lies before this document.
        next_possible: DocId,
    },
    /// Making the scorer failed: the bonus is left out, as for an article it misses.
    Failed,
}

impl Probe {
    /// The bonus's score at `doc` of `reader`'s segment if it matches there. `doc` never
    /// decreases between calls.
    fn score_at(&mut self, doc: DocId, reader: &SegmentReader, boost: Score) -> Option<Score> {
        if let Probe::Unmade(weight) = self {
            *self = match weight.scorer_danger(reader, doc, boost) {
                Ok((SeekDangerResult::Found, scorer)) => {
                    Probe::Made { scorer, found: Some(doc), next_possible: doc }
                }
                Ok((SeekDangerResult::SeekLowerBound(bound), scorer)) => {
                    Probe::Made { scorer, found: None, next_possible: bound }
                }
                Err(error) => {
                    tracing::warn!(%error, "a score bonus could not be read; it is left out");
                    Probe::Failed
                }
            };
        }
        let Probe::Made { scorer, found, next_possible } = self else {
            return None;
        };
        if *found == Some(doc) {
            return Some(scorer.score());
        }
        if doc < *next_possible {
            return None;
        }
        // `doc` is past every target asked before (the first document, the documents
        // since and their bounds), as `seek_danger` requires.
        match scorer.seek_danger(doc) {
            SeekDangerResult::Found => {
                *found = Some(doc);
                *next_possible = doc;
                Some(scorer.score())
            }
            SeekDangerResult::SeekLowerBound(bound) => {
                *found = None;
                *next_possible = bound;
                None
            }
        }
    }
}

struct WithBonusScorer {
    required: Box<dyn Scorer>,
    /// The segment and boost the bonuses' scorers are made for.
    reader: SegmentReader,
    boost: Score,
    probes: Vec<Probe>,
}

impl DocSet for WithBonusScorer {
    fn advance(&mut self) -> DocId {
        self.required.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.required.seek(target)
    }

    fn doc(&self) -> DocId {
        self.required.doc()
    }

    fn size_hint(&self) -> u32 {
        self.required.size_hint()
    }

    fn cost(&self) -> u64 {
        self.required.cost()
    }
}

impl WithBonusScorer {
    /// `required`, the score of the query at `doc`, plus the bonuses that match there,
    /// asked in order. Asking stops once the bonuses not yet asked could not lift the
    /// score above `threshold` even at their `ceilings` (when all of theirs are known);
    /// the score returned then is below the real one, and both are at most `threshold`.
    /// The title's phrase comes first: short to check, and without it the body's rarely
    /// reaches the hits kept. With `Score::NEG_INFINITY` every bonus is asked.
    fn add_bonuses(
        &mut self,
        doc: DocId,
        required: Score,
        threshold: Score,
        ceilings: &[Option<Score>],
    ) -> Score {
        let mut score = required;
        for (index, probe) in self.probes.iter_mut().enumerate() {
            let unasked: Option<Score> = ceilings.get(index..).and_then(|rest| rest.iter().copied().sum());
            if unasked.is_some_and(|most| score + most <= threshold) {
                break;
            }
            if let Some(bonus) = probe.score_at(doc, &self.reader, self.boost) {
                score += bonus;
            }
        }
        score
    }
}

impl Scorer for WithBonusScorer {
    fn score(&mut self) -> Score {
        let doc = self.required.doc();
        let required = self.required.score();
        self.add_bonuses(doc, required, Score::NEG_INFINITY, &[])
    }
}
