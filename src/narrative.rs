//! One sentence per paired result, shared by every output format: the terminal text of
//! `compare` and `optimize` and the report's answer box say the same thing about the same
//! numbers. Before, the HTML answer said a split "gains X" while the text said the split
//! "cannot be told apart" from the baseline — two narratives of one result.
//!
//! The rule is the duality of tests and intervals (Casella & Berger 2002, *Statistical
//! Inference*, 2nd ed., Theorem 9.2.2): a paired difference is told apart from zero at the 5%
//! level exactly when its two-sided 95% interval excludes zero.

/// What a paired difference A − B says at the 95% level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The interval lies above zero.
    Higher,
    /// The interval lies below zero.
    Lower,
    /// The interval includes zero: more runs, or no real difference.
    CannotTell,
}

impl Verdict {
    /// The verdict of a 95% interval of A − B.
    pub fn of(ci95: [f64; 2]) -> Self {
        if ci95[0] > 0.0 {
            Verdict::Higher
        } else if ci95[1] < 0.0 {
            Verdict::Lower
        } else {
            Verdict::CannotTell
        }
    }
}

/// A paired difference of mean customer equity, as the sentences need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gain<'a> {
    /// What is being judged: "The optimized split", "Plan `loyalty`".
    pub subject: &'a str,
    /// What it is judged against: the baseline plan's name.
    pub against: &'a str,
    pub mean: f64,
    pub ci95: [f64; 2],
    /// Share of paired runs in which the subject is better.
    pub prob_better: f64,
    pub runs: u64,
}

/// The sentence for `gain`, with amounts formatted by `money` (each format keeps its own way
/// of writing an amount; the words and the verdict are the same).
pub fn gain_sentence(gain: &Gain<'_>, money: &dyn Fn(f64) -> String) -> String {
    let Gain {
        subject,
        against,
        mean,
        ci95,
        prob_better,
        runs,
    } = *gain;
    let interval = format!("{} to {}", money(ci95[0]), money(ci95[1]));
    let share = crate::format::percent(prob_better);
    match Verdict::of(ci95) {
        Verdict::Higher => format!(
            "{subject} raises mean customer equity by {} over {against} (95% CI {interval}, \
             which excludes zero); it is better in {share} of {runs} paired runs.",
            money(mean)
        ),
        Verdict::Lower => format!(
            "{subject} lowers mean customer equity by {} against {against} (95% CI \
             {interval}); it is better in only {share} of {runs} paired runs.",
            money(-mean)
        ),
        Verdict::CannotTell => format!(
            "{subject} cannot be told apart from {against} at {runs} runs: the difference in \
             mean customer equity is {} with a 95% interval {interval} that includes zero.",
            money(mean)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(v: f64) -> String {
        format!("{v:.0}")
    }

    fn gain(mean: f64, ci95: [f64; 2]) -> String {
        gain_sentence(
            &Gain {
                subject: "The optimized split",
                against: "current",
                mean,
                ci95,
                prob_better: 0.6,
                runs: 400,
            },
            &plain,
        )
    }

    #[test]
    fn an_interval_across_zero_is_never_a_gain() {
        let s = gain(50.0, [-10.0, 110.0]);
        assert!(s.contains("cannot be told apart from current"), "{s}");
        assert!(!s.contains("raises"), "{s}");
        assert!(gain(50.0, [10.0, 90.0]).contains("raises mean customer equity by 50"));
        assert!(gain(-50.0, [-90.0, -10.0]).contains("lowers mean customer equity by 50"));
    }

    #[test]
    fn verdicts_follow_the_interval() {
        assert_eq!(Verdict::of([1.0, 2.0]), Verdict::Higher);
        assert_eq!(Verdict::of([-2.0, -1.0]), Verdict::Lower);
        assert_eq!(Verdict::of([-1.0, 2.0]), Verdict::CannotTell);
        assert_eq!(Verdict::of([0.0, 2.0]), Verdict::CannotTell);
    }
}
