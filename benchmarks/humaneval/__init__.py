"""Quality: how many of HumanEval's 164 problems the filler solves (`run`), the spec they become
(`convert`) and what any choice among the recorded replies could have solved (`ceiling`)."""
