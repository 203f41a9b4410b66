import Tensors

/// Selecting examples, reading predictions per recording, and the unlearning metrics of a table.
extension Predictions {
    /// The examples at `indices`, in that order (an index may repeat).
    ///
    /// - Precondition: every index lies in `0 ..< count`.
    public func subset(_ indices: [Int]) -> Predictions {
        var logits = [Float]()
        logits.reserveCapacity(indices.count * classCount)
        for index in indices {
            checkPrecondition((0 ..< count).contains(index), "Predictions.subset: index \(index) is outside 0..<\(count)")
            logits.append(contentsOf: self.logits(ofExample: index))
        }
        return Predictions(
            classCount: classCount, logits: logits,
            labels: indices.map { labels[$0] }, recordingIDs: indices.map { recordingIDs[$0] })
    }

    /// The examples whose true class is in `classes`, in their original order; `classCount` is kept,
    /// so class indices still mean the same speakers. With `classes` = the forget classes `F` this is
    /// the forget split of a table (FA, IL, MIA read it).
    public func subset(classes: Set<Int>) -> Predictions {
        subset(labels.indices.filter { classes.contains(labels[$0]) })
    }

    /// The examples whose true class is **not** in `excludingClasses`, in their original order: with
    /// the forget classes, the retain split.
    public func subset(excludingClasses: Set<Int>) -> Predictions {
        subset(labels.indices.filter { !excludingClasses.contains(labels[$0]) })
    }

    /// One row per recording: its examples' logits averaged, `z̄ = (1/n) Σᵢ zᵢ` (SPEC §5:
    /// "Utterance-level prediction averages the logits of a recording's examples").
    ///
    /// Recordings appear in the order of their first example; a recording's label is the label its
    /// examples share, and its recording ID is kept. A table whose recordings are all one example long
    /// comes back unchanged.
    ///
    /// ```swift
    /// // Recording "a" has two examples with logits [2, 0] and [0, 0] → one row [1, 0].
    /// let examples = Predictions(classCount: 2, logits: [2, 0, 1, 3, 0, 0],
    ///                            labels: [0, 1, 0], recordingIDs: ["a", "b", "a"])
    /// examples.utteranceLevel().logits         // [1, 0, 1, 3]
    /// examples.utteranceLevel().recordingIDs   // ["a", "b"]
    /// ```
    ///
    /// - Precondition: all examples of a recording share one label.
    public func utteranceLevel() -> Predictions {
        var order = [String]()
        var rowOf = [String: Int]()
        var sums = [[Double]]()
        var exampleCounts = [Int]()
        var recordingLabels = [Int]()
        for index in 0 ..< count {
            let id = recordingIDs[index]
            let row: Int
            if let existing = rowOf[id] {
                row = existing
                checkPrecondition(
                    recordingLabels[row] == labels[index],
                    "Predictions.utteranceLevel: recording \"\(id)\" has examples labelled \(recordingLabels[row]) and \(labels[index]) (example \(index))")
            } else {
                row = order.count
                rowOf[id] = row
                order.append(id)
                sums.append([Double](repeating: 0, count: classCount))
                exampleCounts.append(0)
                recordingLabels.append(labels[index])
            }
            for (k, z) in logits(ofExample: index).enumerated() { sums[row][k] += Double(z) }
            exampleCounts[row] += 1
        }
        let means = zip(sums, exampleCounts).flatMap { sum, n in sum.map { Float($0 / Double(n)) } }
        return Predictions(classCount: classCount, logits: means, labels: recordingLabels, recordingIDs: order)
    }

    /// The softmax probability of the true class of each example whose label is in `forgetClasses`,
    /// in example order: the input of IL (``UnlearningMetrics/informationLeakage``).
    public func trueClassProbabilities(forgetClasses: some Sequence<Int>) -> [Float] {
        UnlearningMetrics.trueClassProbabilities(
            labels: labels, probabilities: probabilities(), classCount: classCount, forgetClasses: forgetClasses)
    }

    /// FA, RA, IL, FAR, FRR and ERB of this table (the held-out test split, SPEC §4) for the forget
    /// classes `forgetClasses`, with IL filled in from the softmax.
    public func unlearningMetrics(forgetClasses: some Sequence<Int>) -> UnlearningMetrics {
        let forget = Array(forgetClasses)
        return UnlearningMetrics(
            confusionMatrix: confusionMatrix(), forgetClasses: forget,
            forgetTrueClassProbabilities: trueClassProbabilities(forgetClasses: forget))
    }
}
