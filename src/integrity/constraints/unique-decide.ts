/** A claim as stored in the claims topic (JSON value). */
export interface Claim {
  readonly claimId: string;
  readonly value: string;
}

/** A decision as stored in the decisions topic (JSON value). */
export interface Decision {
  readonly claimId: string;
  readonly value: string;
  readonly accepted: boolean;
  /** The claim id holding the value (this one when accepted). */
  readonly holder: string;
  /** Offset of the claim record this decision answers. */
  readonly claimOffset: number;
  /**
   * True when this answers a repeated claim (same claim id) already decided: it restates the
   * first decision so the retrying caller hears it; it decides nothing new.
   */
  readonly repeat: boolean;
}

/**
 * The deterministic state of one partition's decider: value → holder, claim id → decision.
 * A decision depends only on the claims before it, so reprocessing the claims topic from the
 * start yields the same decisions.
 */
export class UniqueState {
  readonly #holders = new Map<string, string>();
  readonly #decided = new Map<string, Decision>();
  /** Highest claim offset answered, -1 if none. */
  lastClaimOffset = -1;

  /** Replay a decision read back from the decisions topic. */
  restore(d: Decision): void {
    if (!d.repeat) {
      this.#decided.set(d.claimId, d);
      if (d.accepted) this.#holders.set(d.value, d.claimId);
    }
    this.lastClaimOffset = Math.max(this.lastClaimOffset, d.claimOffset);
  }

  /** Decide the claim at `offset`: first claim of a value wins; a repeated claim id restates. */
  decide(claim: Claim, offset: number): Decision {
    const prior = this.#decided.get(claim.claimId);
    const decision: Decision = prior
      ? { ...prior, claimOffset: offset, repeat: true }
      : this.#first(claim, offset);
    this.restore(decision);
    return decision;
  }

  #first(claim: Claim, offset: number): Decision {
    const holder = this.#holders.get(claim.value) ?? claim.claimId;
    const accepted = holder === claim.claimId;
    return {
      claimId: claim.claimId,
      value: claim.value,
      accepted,
      holder,
      claimOffset: offset,
      repeat: false,
    };
  }
}
