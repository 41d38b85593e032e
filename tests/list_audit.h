/* Tests of audit (issue 4). */
