-- Issued AIK challenges now live in memory until used (ca/pending_challenges.h);
-- aik_challenges records only used ones, so nothing counts pending rows any more.
-- Pending rows an older vtpmd left behind are swept a day after they expire.
DROP INDEX aik_challenges_pending;
