//! The quiz game: question packs (validated on import), answer checks, and speed-and-streak scoring.
//!
//! Scoring, per question: a right answer scores `1000 × (1 − 0.5 × t / T)` rounded, where `t` is the
//! time taken (scaled to the player's own time when the host gave them more, and 0 in an untimed
//! game) and `T` the time limit (1000 at once, 500 at the buzzer); a `number` answer inside the
//! tolerance scores that times `1 − 0.5 × distance / tolerance`. Each right answer in a row after the
//! first adds a streak bonus of 100, up to 500. A wrong or missing answer scores 0 and ends the streak.

use hubbub_protocol::{
    Answer, NumberCount, PackQuestion, QuestionKind, QuestionPack, QuestionView, RevealView, RoundScore,
};

/// The pack every hub has, id `sample`.
pub const SAMPLE_PACK: &str = include_str!("../../packs/sample.json");
/// Most questions in a pack.
pub const MAX_QUESTIONS: usize = 100;
/// Full points for an instant right answer.
pub const MAX_POINTS: i64 = 1000;
/// Bonus per right answer in a row after the first, and its cap.
pub const STREAK_STEP: i64 = 100;
pub const STREAK_CAP: i64 = 500;
const DEFAULT_SECS: u32 = 20;

/// What a right answer is.
#[derive(Debug, Clone, PartialEq)]
pub enum Correct {
    /// The indices of the right choices, sorted (one for `choice` and `true_false`).
    Choices(Vec<u32>),
    /// The value of a `number` question and how far off still counts.
    Number { value: f64, tolerance: f64 },
}

/// One checked question.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub kind: QuestionKind,
    pub prompt: String,
    pub choices: Vec<String>,
    pub correct: Correct,
    pub time_limit_ms: u64,
}

/// A quiz ready to play: a title and its checked questions.
#[derive(Debug, Clone, PartialEq)]
pub struct Quiz {
    pub title: String,
    pub questions: Vec<Question>,
}

/// One player's answer to the open question, with the time it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub user_id: i64,
    pub answer: Answer,
    /// Time taken, as it happened.
    pub elapsed_ms: u64,
    /// The time scoring counts: `elapsed_ms` over the player's time factor, or 0 in an untimed game.
    pub scored_ms: u64,
}

fn text(what: &str, s: &str, max: usize) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(format!("{what}: 1 to {max} characters, no control characters"));
    }
    Ok(t.to_owned())
}

fn index_list(v: &serde_json::Value) -> Option<Vec<u32>> {
    v.as_array()?.iter().map(|i| i.as_u64().and_then(|i| u32::try_from(i).ok())).collect()
}

fn check_question(i: usize, q: &PackQuestion) -> Result<Question, String> {
    let at = |field: &str| format!("questions[{i}].{field}");
    let prompt = text(&at("prompt"), &q.prompt, 300)?;
    let secs = q.time_limit_secs.unwrap_or(DEFAULT_SECS);
    if !(5..=120).contains(&secs) {
        return Err(format!("{}: 5 to 120 seconds", at("time_limit_secs")));
    }
    if q.tolerance.is_some() && q.kind != QuestionKind::Number {
        return Err(format!("{}: only number questions have a tolerance", at("tolerance")));
    }
    let with_choices = matches!(q.kind, QuestionKind::Choice | QuestionKind::Multi);
    if !with_choices && !q.choices.is_empty() {
        return Err(format!("{}: only choice and multi questions list choices", at("choices")));
    }
    let choices = if with_choices {
        if !(2..=6).contains(&q.choices.len()) {
            return Err(format!("{}: 2 to 6 choices", at("choices")));
        }
        q.choices
            .iter()
            .enumerate()
            .map(|(j, c)| text(&format!("{}[{j}]", at("choices")), c, 80))
            .collect::<Result<Vec<_>, _>>()?
    } else if q.kind == QuestionKind::TrueFalse {
        vec!["True".to_owned(), "False".to_owned()]
    } else {
        Vec::new()
    };
    let n = u32::try_from(choices.len()).unwrap_or(u32::MAX);
    let correct = match q.kind {
        QuestionKind::Choice => match q.answer.as_u64().and_then(|a| u32::try_from(a).ok()) {
            Some(a) if a < n => Correct::Choices(vec![a]),
            _ => return Err(format!("{}: the index of a choice, 0 to {}", at("answer"), n - 1)),
        },
        QuestionKind::TrueFalse => match q.answer.as_bool() {
            Some(b) => Correct::Choices(vec![if b { 0 } else { 1 }]),
            None => return Err(format!("{}: true or false", at("answer"))),
        },
        QuestionKind::Multi => match index_list(&q.answer) {
            Some(mut list) if !list.is_empty() && list.iter().all(|&a| a < n) => {
                list.sort_unstable();
                list.dedup();
                Correct::Choices(list)
            }
            _ => {
                return Err(format!(
                    "{}: a non-empty array of choice indices, each 0 to {}",
                    at("answer"),
                    n - 1
                ));
            }
        },
        QuestionKind::Number => {
            let tolerance = q.tolerance.unwrap_or(0.0);
            match q.answer.as_f64() {
                Some(value) if value.is_finite() && tolerance.is_finite() && tolerance >= 0.0 => {
                    Correct::Number { value, tolerance }
                }
                _ => {
                    return Err(format!(
                        "{}: a finite number (and tolerance, if given, a number of at least 0)",
                        at("answer")
                    ));
                }
            }
        }
    };
    Ok(Question { kind: q.kind, prompt, choices, correct, time_limit_ms: u64::from(secs) * 1000 })
}

impl Quiz {
    /// Checks a pack and turns it into a quiz; the error names the first bad field.
    pub fn from_pack(pack: &QuestionPack) -> Result<Quiz, String> {
        let title = text("title", &pack.title, 80)?;
        if let Some(d) = &pack.description {
            text("description", d, 500)?;
        }
        if pack.questions.is_empty() || pack.questions.len() > MAX_QUESTIONS {
            return Err(format!("questions: 1 to {MAX_QUESTIONS} questions"));
        }
        let questions =
            pack.questions.iter().enumerate().map(|(i, q)| check_question(i, q)).collect::<Result<_, _>>()?;
        Ok(Quiz { title, questions })
    }

    /// The shipped sample pack.
    pub fn sample() -> Quiz {
        let pack: QuestionPack = serde_json::from_str(SAMPLE_PACK).expect("the sample pack parses");
        Quiz::from_pack(&pack).expect("the sample pack is valid")
    }

    /// Keeps only the first `n` questions (at least one).
    pub fn truncate(&mut self, n: usize) {
        self.questions.truncate(n.max(1));
    }

    /// How many questions.
    pub fn rounds(&self) -> u32 {
        u32::try_from(self.questions.len()).unwrap_or(u32::MAX)
    }

    /// Time to answer question `round`.
    pub fn time_limit_ms(&self, round: u32) -> u64 {
        self.question_at(round).map_or(u64::from(DEFAULT_SECS) * 1000, |q| q.time_limit_ms)
    }

    fn question_at(&self, round: u32) -> Option<&Question> {
        self.questions.get(round as usize)
    }

    /// Question `round` as players see it.
    pub fn view(&self, round: u32) -> Option<QuestionView> {
        self.question_at(round).map(|q| QuestionView {
            kind: q.kind,
            prompt: q.prompt.clone(),
            choices: q.choices.clone(),
            time_limit_ms: q.time_limit_ms,
        })
    }

    /// Whether `answer` fits question `round` (kind and range), with the reason if not.
    pub fn check(&self, round: u32, answer: &Answer) -> Result<(), String> {
        let q = self.question_at(round).ok_or("no such question")?;
        let n = u32::try_from(q.choices.len()).unwrap_or(u32::MAX);
        match (q.kind, answer) {
            (QuestionKind::Choice | QuestionKind::TrueFalse, Answer::Choice { index }) if *index < n => {
                Ok(())
            }
            (QuestionKind::Multi, Answer::Choices { indices })
                if !indices.is_empty()
                    && indices.len() <= q.choices.len()
                    && indices.iter().all(|i| *i < n) =>
            {
                Ok(())
            }
            (QuestionKind::Number, Answer::Number { value }) if value.is_finite() => Ok(()),
            (QuestionKind::Choice | QuestionKind::TrueFalse, _) => {
                Err(format!("this question takes {{\"kind\":\"choice\",\"index\":0..{}}}", n - 1))
            }
            (QuestionKind::Multi, _) => Err(format!(
                "this question takes {{\"kind\":\"choices\",\"indices\":[...]}} with indices 0..{}",
                n - 1
            )),
            (QuestionKind::Number, _) => {
                Err("this question takes {\"kind\":\"number\",\"value\":N}".to_owned())
            }
        }
    }

    /// Scores question `round`: `streak_of` gives each player's streak before it; `seated` lists every
    /// seated player (those without an answer score 0). Returns the reveal and each player's new streak.
    pub fn score(
        &self,
        round: u32,
        answers: &[Submitted],
        seated: &[(i64, u32)],
    ) -> (RevealView, Vec<(i64, u32)>) {
        let Some(q) = self.question_at(round) else {
            return (empty_reveal(), seated.to_vec());
        };
        let mut distribution = vec![0u32; q.choices.len()];
        let mut numbers: Vec<NumberCount> = Vec::new();
        for a in answers {
            match &a.answer {
                Answer::Choice { index } => bump(&mut distribution, *index),
                Answer::Choices { indices } => indices.iter().for_each(|i| bump(&mut distribution, *i)),
                Answer::Number { value } => match numbers.iter_mut().find(|c| c.value == *value) {
                    Some(c) => c.count += 1,
                    None => numbers.push(NumberCount { value: *value, count: 1 }),
                },
            }
        }
        let (correct_choices, correct_number, tolerance) = match &q.correct {
            Correct::Choices(c) => (c.clone(), None, None),
            Correct::Number { value, tolerance } => {
                numbers.sort_by(|a, b| {
                    (a.value - value)
                        .abs()
                        .total_cmp(&(b.value - value).abs())
                        .then(a.value.total_cmp(&b.value))
                });
                (Vec::new(), Some(*value), Some(*tolerance))
            }
        };
        let mut scores = Vec::with_capacity(seated.len());
        let mut streaks = Vec::with_capacity(seated.len());
        for &(user_id, streak) in seated {
            let base = answers.iter().find(|a| a.user_id == user_id).map_or(0, |a| base_points(q, a));
            let (correct, new_streak) = if base > 0 { (true, streak + 1) } else { (false, 0) };
            let streak_bonus =
                if correct { (STREAK_STEP * i64::from(new_streak - 1)).min(STREAK_CAP) } else { 0 };
            scores.push(RoundScore { user_id, correct, points: base + streak_bonus, streak_bonus });
            streaks.push((user_id, new_streak));
        }
        (
            RevealView {
                correct_choices,
                correct_number,
                distribution,
                number_answers: numbers,
                tolerance,
                scores,
            },
            streaks,
        )
    }
}

fn bump(distribution: &mut [u32], index: u32) {
    if let Some(slot) = distribution.get_mut(index as usize) {
        *slot += 1;
    }
}

fn empty_reveal() -> RevealView {
    RevealView {
        correct_choices: Vec::new(),
        correct_number: None,
        distribution: Vec::new(),
        number_answers: Vec::new(),
        tolerance: None,
        scores: Vec::new(),
    }
}

/// Points for a right answer by speed: 1000 at once down to 500 at the buzzer.
pub fn speed_points(elapsed_ms: u64, limit_ms: u64) -> f64 {
    let limit = limit_ms.max(1) as f64;
    MAX_POINTS as f64 * (1.0 - 0.5 * (elapsed_ms as f64).min(limit) / limit)
}

/// Points before the streak bonus; 0 when wrong.
fn base_points(q: &Question, a: &Submitted) -> i64 {
    let speed = speed_points(a.scored_ms, q.time_limit_ms);
    match (&q.correct, &a.answer) {
        (Correct::Choices(right), Answer::Choice { index }) if right.as_slice() == [*index] => {
            speed.round() as i64
        }
        (Correct::Choices(right), Answer::Choices { indices }) => {
            let mut given = indices.clone();
            given.sort_unstable();
            given.dedup();
            if &given == right { speed.round() as i64 } else { 0 }
        }
        (Correct::Number { value, tolerance }, Answer::Number { value: given }) => {
            let distance = (given - value).abs();
            if distance > *tolerance {
                0
            } else if *tolerance == 0.0 {
                speed.round() as i64
            } else {
                (speed * (1.0 - 0.5 * distance / tolerance)).round().max(1.0) as i64
            }
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack(json: serde_json::Value) -> Result<Quiz, String> {
        let pack: QuestionPack = serde_json::from_value(json).map_err(|e| e.to_string())?;
        Quiz::from_pack(&pack)
    }

    #[test]
    fn the_sample_pack_has_every_kind() {
        let quiz = Quiz::sample();
        assert_eq!(quiz.rounds(), 8);
        for kind in [QuestionKind::Choice, QuestionKind::TrueFalse, QuestionKind::Multi, QuestionKind::Number]
        {
            assert!(quiz.questions.iter().any(|q| q.kind == kind), "{kind:?}");
        }
    }

    #[test]
    fn bad_packs_say_where() {
        let q = |answer: serde_json::Value| serde_json::json!({"title": "T", "questions": [{"kind": "choice", "prompt": "P", "choices": ["a", "b"], "answer": answer}]});
        assert!(pack(q(serde_json::json!(1))).is_ok());
        let err = pack(q(serde_json::json!(2))).unwrap_err();
        assert!(err.contains("questions[0].answer"), "{err}");
        let err = pack(serde_json::json!({"title": "T", "questions": []})).unwrap_err();
        assert!(err.contains("questions"), "{err}");
        let err = pack(serde_json::json!({"title": "T", "questions": [{"kind": "number", "prompt": "P", "answer": "x"}]}))
            .unwrap_err();
        assert!(err.contains("questions[0].answer"), "{err}");
        let err = pack(serde_json::json!({"title": "T", "questions": [{"kind": "multi", "prompt": "P", "choices": ["a"], "answer": [0]}]}))
            .unwrap_err();
        assert!(err.contains("choices"), "{err}");
    }

    #[test]
    fn speed_streak_and_closeness_score_as_documented() {
        let quiz = Quiz::sample();
        // Question 0: choice, right answer 1, 20 s.
        let answers = vec![
            Submitted { user_id: 1, answer: Answer::Choice { index: 1 }, elapsed_ms: 0, scored_ms: 0 },
            Submitted {
                user_id: 2,
                answer: Answer::Choice { index: 1 },
                elapsed_ms: 20_000,
                scored_ms: 20_000,
            },
            Submitted { user_id: 3, answer: Answer::Choice { index: 0 }, elapsed_ms: 1, scored_ms: 1 },
        ];
        let (reveal, streaks) = quiz.score(0, &answers, &[(1, 0), (2, 3), (3, 2), (4, 1)]);
        let pts: Vec<i64> = reveal.scores.iter().map(|s| s.points).collect();
        assert_eq!(pts, vec![1000, 500 + 300, 0, 0]);
        assert_eq!(streaks, vec![(1, 1), (2, 4), (3, 0), (4, 0)]);
        assert_eq!(reveal.distribution, vec![1, 2, 0, 0]);
        assert_eq!(reveal.correct_choices, vec![1]);
        // Question 3: number 1969 ± 2; 1970 at once is 1000 × (1 − 0.25).
        let answers = vec![
            Submitted { user_id: 1, answer: Answer::Number { value: 1970.0 }, elapsed_ms: 0, scored_ms: 0 },
            Submitted { user_id: 2, answer: Answer::Number { value: 1975.0 }, elapsed_ms: 0, scored_ms: 0 },
        ];
        let (reveal, _) = quiz.score(3, &answers, &[(1, 0), (2, 0)]);
        assert_eq!(reveal.scores[0].points, 750);
        assert_eq!(reveal.scores[1].points, 0);
        assert_eq!(reveal.number_answers[0].value, 1970.0);
        // Question 2: multi [0, 2]: order does not matter, a subset is wrong.
        let answers = vec![
            Submitted {
                user_id: 1,
                answer: Answer::Choices { indices: vec![2, 0] },
                elapsed_ms: 10_000,
                scored_ms: 10_000,
            },
            Submitted {
                user_id: 2,
                answer: Answer::Choices { indices: vec![0] },
                elapsed_ms: 0,
                scored_ms: 0,
            },
        ];
        let (reveal, _) = quiz.score(2, &answers, &[(1, 9), (2, 0)]);
        assert_eq!(reveal.scores[0].points, 750 + STREAK_CAP);
        assert_eq!(reveal.scores[1].points, 0);
    }

    #[test]
    fn answers_must_fit_the_question() {
        let quiz = Quiz::sample();
        assert!(quiz.check(0, &Answer::Choice { index: 3 }).is_ok());
        assert!(quiz.check(0, &Answer::Choice { index: 4 }).is_err());
        assert!(quiz.check(0, &Answer::Number { value: 1.0 }).is_err());
        assert!(quiz.check(1, &Answer::Choice { index: 1 }).is_ok());
        assert!(quiz.check(1, &Answer::Choice { index: 2 }).is_err());
        assert!(quiz.check(2, &Answer::Choices { indices: vec![] }).is_err());
        assert!(quiz.check(3, &Answer::Number { value: f64::NAN }).is_err());
    }
}
