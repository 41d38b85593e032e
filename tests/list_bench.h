/* Tests of bench (issue 4). */
