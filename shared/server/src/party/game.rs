//! The interface between the party engine and a game: rounds, what players see, answer checks, scores.

use hubbub_protocol::{Answer, QuestionView, RevealView};

use super::quiz::{Quiz, Submitted};

/// What the engine needs from a game. The engine owns seats, phases, timers and host rights; a game
/// only knows its rounds and how to score them.
pub trait Rules {
    /// The game's id in party settings (`quiz`).
    fn id(&self) -> &'static str;
    /// Shown as the party's title.
    fn title(&self) -> &str;
    /// Ready players needed to start.
    fn min_players(&self) -> u32;
    /// How many rounds.
    fn rounds(&self) -> u32;
    /// Time to answer round `round`, in ms.
    fn time_limit_ms(&self, round: u32) -> u64;
    /// What players see of round `round` while it is open.
    fn view(&self, round: u32) -> Option<QuestionView>;
    /// Whether an answer fits round `round`; the message says what would.
    fn check(&self, round: u32, answer: &Answer) -> Result<(), String>;
    /// Scores round `round` for every seated player `(user, streak before)`; returns the reveal and
    /// each player's streak after it.
    fn score(
        &self,
        round: u32,
        answers: &[Submitted],
        seated: &[(i64, u32)],
    ) -> (RevealView, Vec<(i64, u32)>);
}

/// Every game the hub can run, stored with the party.
#[derive(Debug, Clone, PartialEq)]
pub enum Game {
    Quiz(Quiz),
}

impl Game {
    fn rules(&self) -> &dyn Rules {
        match self {
            Game::Quiz(q) => q,
        }
    }

    pub fn id(&self) -> &'static str {
        self.rules().id()
    }
    pub fn title(&self) -> &str {
        self.rules().title()
    }
    pub fn min_players(&self) -> u32 {
        self.rules().min_players()
    }
    pub fn rounds(&self) -> u32 {
        self.rules().rounds()
    }
    pub fn time_limit_ms(&self, round: u32) -> u64 {
        self.rules().time_limit_ms(round)
    }
    pub fn view(&self, round: u32) -> Option<QuestionView> {
        self.rules().view(round)
    }
    pub fn check(&self, round: u32, answer: &Answer) -> Result<(), String> {
        self.rules().check(round, answer)
    }
    pub fn score(
        &self,
        round: u32,
        answers: &[Submitted],
        seated: &[(i64, u32)],
    ) -> (RevealView, Vec<(i64, u32)>) {
        self.rules().score(round, answers, seated)
    }
}

impl Rules for Quiz {
    fn id(&self) -> &'static str {
        "quiz"
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn min_players(&self) -> u32 {
        1
    }
    fn rounds(&self) -> u32 {
        Quiz::rounds(self)
    }
    fn time_limit_ms(&self, round: u32) -> u64 {
        Quiz::time_limit_ms(self, round)
    }
    fn view(&self, round: u32) -> Option<QuestionView> {
        Quiz::view(self, round)
    }
    fn check(&self, round: u32, answer: &Answer) -> Result<(), String> {
        Quiz::check(self, round, answer)
    }
    fn score(
        &self,
        round: u32,
        answers: &[Submitted],
        seated: &[(i64, u32)],
    ) -> (RevealView, Vec<(i64, u32)>) {
        Quiz::score(self, round, answers, seated)
    }
}
