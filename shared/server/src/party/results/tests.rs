//! CSV quoting and formula guards, and results read back from the store.

use hubbub_protocol::{Answer, PartyResults, QuestionKind, QuestionStats, ResultAnswer};

use super::*;

fn results_with(name: &str, prompt: &str, choices: &[&str], answer: Answer) -> PartyResults {
    PartyResults {
        code: "ACDE".into(),
        title: "T".into(),
        started_at: 1,
        finished_at: Some(2),
        rounds: 1,
        players: vec![],
        questions: vec![QuestionStats {
            round: 0,
            kind: QuestionKind::Multi,
            prompt: prompt.into(),
            choices: choices.iter().map(|c| (*c).to_owned()).collect(),
            correct_choices: vec![0],
            correct_number: None,
            tolerance: None,
            players: 1,
            answered: 1,
            correct: 0,
            average_ms: Some(5),
            distribution: vec![],
            number_answers: vec![],
        }],
        answers: vec![ResultAnswer {
            round: 0,
            user_id: 7,
            display_name: name.into(),
            answer: Some(answer),
            time_ms: Some(5),
            correct: false,
            points: 0,
        }],
    }
}

#[test]
fn csv_fields_are_quoted_and_formulas_kept_as_text() {
    let r = results_with(
        "=HYPERLINK(\"x\")",
        "Commas, \"quotes\"\nand lines?",
        &["a,b", "-3"],
        Answer::Choices { indices: vec![0, 1] },
    );
    let csv = to_csv(&r);
    let row = csv.split("\r\n").nth(1).unwrap_or_default();
    assert!(
        row.contains(
            r#""Commas, ""quotes""
and lines?""#
        ),
        "{row}"
    );
    assert!(row.contains(r#","'=HYPERLINK(""x"")","#), "{row}");
    assert!(row.contains(r#","a,b; -3","#), "a number-like choice stays as it is: {row}");
    let r = results_with("-x", "P", &[], Answer::Number { value: -2.5 });
    let row = to_csv(&r).split("\r\n").nth(1).unwrap_or_default().to_owned();
    assert_eq!(row, "1,P,7,'-x,-2.5,false,5,0");
}

#[tokio::test]
async fn finished_games_are_read_back_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), &crate::store::StoreOptions::default()).unwrap();
    let r = results_with("Ann", "P", &["a"], Answer::Choice { index: 0 });
    for (code, started) in [("ACDE", 1), ("WXYZ", 5), ("ACDE", 9)] {
        let row = StoredResults {
            code: code.into(),
            started_at: started,
            finished_at: started + 1,
            host_id: 1,
            body: serde_json::to_string(&PartyResults {
                code: code.into(),
                started_at: started,
                ..r.clone()
            })
            .unwrap(),
        };
        store.write_wait(move |db| crate::store::save_party_results(db, &row)).await.unwrap();
    }
    let all = stored_results(&store, None).await.unwrap();
    assert_eq!(
        all.iter().map(|r| (r.code.as_str(), r.started_at)).collect::<Vec<_>>(),
        [("ACDE", 1), ("WXYZ", 5), ("ACDE", 9)]
    );
    let one = stored_results(&store, Some("acde")).await.unwrap();
    assert_eq!(one.len(), 2);
    assert_eq!(one[1].answers, r.answers);
}
