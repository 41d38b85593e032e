/* Tests of select (issue 4). */
