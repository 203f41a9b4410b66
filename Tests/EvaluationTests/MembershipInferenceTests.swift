import Foundation
import Testing
import Tensors
@testable import Evaluation

/// `count` losses drawn from `|N(mean, spread²)|` with a seeded generator.
private func losses(_ count: Int, mean: Float, spread: Float, using generator: inout SplitMix64) -> [Float] {
    (0 ..< count).map { _ in Swift.abs(mean + spread * generator.nextStandardNormal()) }
}

@Suite("Loss-based membership inference")
struct LossMembershipInferenceTests {
    @Test func separableLossesAreAlwaysRecognised() throws {
        // Members in [0, 0.5), non-members in [2, 3): every fold's attack finds the gap.
        var generator = SplitMix64(seed: 11)
        let members = (0 ..< 50).map { _ in 0.5 * generator.nextUnitFloat() }
        let nonMembers = (0 ..< 50).map { _ in 2 + generator.nextUnitFloat() }
        let result = try #require(lossMembershipInference(memberLosses: members, nonMemberLosses: nonMembers, seed: 1))
        #expect(result.attackAccuracy == 100)
        #expect(result.memberCount == 50 && result.nonMemberCount == 50)
        #expect(result.folds == 10 && !result.foldsWereReduced)
    }

    /// Members and non-members from one distribution: nothing to learn, so the accuracy is chance.
    /// With 400 balanced examples per group, 10-fold cross-validated accuracy under this null has a
    /// standard deviation of about 2.5 points (simulated with sklearn's `cross_val_score` on 200 seeds;
    /// wider than a binomial's 1.8, because each training fold's fit is anti-correlated with its
    /// held-out fold). A band of ±10 (4σ) cannot fail by chance, while an attack on unbalanced groups
    /// would score 75 in the 1,200-vs-400 case (always answering "member") and fail it.
    @Test(arguments: [(400, 400, UInt64(3)), (1_200, 400, UInt64(4)), (400, 1_200, UInt64(5))])
    func identicalDistributionsGiveChance(memberCount: Int, nonMemberCount: Int, seed: UInt64) throws {
        var generator = SplitMix64(seed: seed)
        let members = losses(memberCount, mean: 1, spread: 0.5, using: &generator)
        let nonMembers = losses(nonMemberCount, mean: 1, spread: 0.5, using: &generator)
        let result = try #require(lossMembershipInference(memberLosses: members, nonMemberLosses: nonMembers, seed: seed))
        #expect(Swift.abs(result.attackAccuracy - 50) < 10, "accuracy \(result.attackAccuracy)")
        #expect(result.memberCount == min(memberCount, nonMemberCount))
    }

    @Test func overlappingDistributionsFallBetweenChanceAndCertainty() throws {
        // Members' losses N(0.5, 0.5²), non-members' N(1.5, 0.5²): the best threshold (1.0) is right
        // Φ(1) ≈ 84% of the time.
        var generator = SplitMix64(seed: 8)
        let members = (0 ..< 300).map { _ in 0.5 + 0.5 * generator.nextStandardNormal() }
        let nonMembers = (0 ..< 300).map { _ in 1.5 + 0.5 * generator.nextStandardNormal() }
        let result = try #require(lossMembershipInference(memberLosses: members, nonMemberLosses: nonMembers, seed: 9))
        #expect(Swift.abs(result.attackAccuracy - 84.1) < 5, "accuracy \(result.attackAccuracy)")
    }

    @Test func sameSeedSameResult() throws {
        var generator = SplitMix64(seed: 21)
        let members = losses(90, mean: 0.8, spread: 0.6, using: &generator)
        let nonMembers = losses(37, mean: 1.1, spread: 0.6, using: &generator)
        let first = lossMembershipInference(memberLosses: members, nonMemberLosses: nonMembers, seed: 77)
        let second = lossMembershipInference(memberLosses: members, nonMemberLosses: nonMembers, seed: 77)
        #expect(first != nil && first == second)
        // Another seed draws another subsample and other folds (same counts).
        let other = lossMembershipInference(memberLosses: members, nonMemberLosses: nonMembers, seed: 78)
        #expect(other?.memberCount == first?.memberCount)
    }

    @Test func balancesTheLargerGroupDownAndReducesFolds() throws {
        let balanced = try #require(lossMembershipInference(
            memberLosses: Array(repeating: 0.1, count: 30), nonMemberLosses: Array(repeating: 2, count: 12), seed: 2))
        #expect(balanced.memberCount == 12 && balanced.nonMemberCount == 12)
        #expect(balanced.folds == 10 && balanced.requestedFolds == 10)

        // Three members: at most three folds can each hold out one member.
        let reduced = try #require(lossMembershipInference(
            memberLosses: [0.1, 0.2, 0.3], nonMemberLosses: [2, 3, 4, 5, 6], seed: 2))
        #expect(reduced.memberCount == 3 && reduced.nonMemberCount == 3)
        #expect(reduced.folds == 3 && reduced.requestedFolds == 10 && reduced.foldsWereReduced)
        #expect(reduced.attackAccuracy == 100)
    }

    @Test func constantLossesCarryNoSignal() throws {
        // Every loss equal: the fitted w is 0, b is 0 (balanced training folds), and every example is
        // called a non-member (sklearn predicts class 0 on the boundary): exactly half right.
        let result = try #require(lossMembershipInference(
            memberLosses: Array(repeating: 1, count: 20), nonMemberLosses: Array(repeating: 1, count: 20), seed: 5))
        #expect(Swift.abs(result.attackAccuracy - 50) < 1e-9)
    }

    @Test func tooFewExamplesGiveNil() {
        #expect(lossMembershipInference(memberLosses: [0.1], nonMemberLosses: [1, 2, 3], seed: 0) == nil)
        #expect(lossMembershipInference(memberLosses: [0.1, 0.2], nonMemberLosses: [], seed: 0) == nil)
        #expect(lossMembershipInference(memberLosses: [0.1, 0.2], nonMemberLosses: [1, 2], seed: 0) != nil)
    }

    @Test func resultRoundTripsThroughJSON() throws {
        let result = MembershipInferenceResult(attackAccuracy: 62.5, memberCount: 8, nonMemberCount: 8, folds: 8,
                                               requestedFolds: 10)
        let decoded = try JSONDecoder().decode(MembershipInferenceResult.self, from: JSONEncoder().encode(result))
        #expect(decoded == result)
    }
}

@Suite("Entropy membership inference equals the synaptic-dampening attack")
struct EntropyMembershipInferenceTests {
    @Test func matchesScikitLearn() throws {
        let golden = try MIAGolden.load().entropy_attack
        let percentage = entropyMembershipInference(
            retainTrainEntropies: golden.retain_train_entropies, testEntropies: golden.test_entropies,
            forgetTrainEntropies: golden.forget_train_entropies, inverseRegularization: 1)
        #expect(percentage.map { Swift.abs($0 - golden.member_percentage) < 1e-9 } == true)  // 14 of 25 = 56%
        // The default is the authors' setting (multinomial, C = 1 ≡ binary with C = 2).
        let authors = entropyMembershipInference(
            retainTrainEntropies: golden.retain_train_entropies, testEntropies: golden.test_entropies,
            forgetTrainEntropies: golden.forget_train_entropies)
        #expect(authors.map { Swift.abs($0 - golden.multinomial_C2.member_percentage) < 1e-9 } == true)

        // The attack model itself: balanced, C = 1, retain-train = member.
        let features = (golden.retain_train_entropies + golden.test_entropies).map { [Double($0)] }
        let labels = golden.retain_train_entropies.map { _ in true } + golden.test_entropies.map { _ in false }
        let attack = LogisticRegression(features: features, labels: labels, balanced: true)
        #expect(Swift.abs(attack.weights[0] - golden.weight) < 1e-6)
        #expect(Swift.abs(attack.intercept - golden.intercept) < 1e-6)
        #expect(attack.weights[0] < 0)  // low entropy (confident) → member

        // The authors' multi_class="multinomial" two-class fit is the binary fit with C = 2.
        let multinomial = LogisticRegression(features: features, labels: labels, inverseRegularization: 2, balanced: true)
        #expect(Swift.abs(multinomial.weights[0] - golden.multinomial_C2.weight) < 1e-5)
        #expect(Swift.abs(multinomial.intercept - golden.multinomial_C2.intercept) < 1e-5)
    }

    @Test func confidentForgetExamplesLookLikeMembers() {
        let retain: [Float] = [0.01, 0.02, 0.05, 0.1], test: [Float] = [1.0, 1.2, 0.9, 1.5]
        #expect(entropyMembershipInference(retainTrainEntropies: retain, testEntropies: test,
                                           forgetTrainEntropies: [0.03, 0.04]) == 100)
        #expect(entropyMembershipInference(retainTrainEntropies: retain, testEntropies: test,
                                           forgetTrainEntropies: [1.1, 1.3, 0.02, 1.4]) == 25)
    }

    @Test func emptyGroupsGiveNil() {
        #expect(entropyMembershipInference(retainTrainEntropies: [], testEntropies: [1], forgetTrainEntropies: [1]) == nil)
        #expect(entropyMembershipInference(retainTrainEntropies: [1], testEntropies: [], forgetTrainEntropies: [1]) == nil)
        #expect(entropyMembershipInference(retainTrainEntropies: [0], testEntropies: [1], forgetTrainEntropies: []) == nil)
    }
}
