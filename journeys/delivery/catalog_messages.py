"""Content of the catalog journeys' messages (seed 000 and 001 wording): id -> (subject, body).

Plain data with no placeholders, so each text is also its template's generic
fallback; :mod:`journeys.delivery.templates` turns them into templates.
"""

from __future__ import annotations

CATALOG_MESSAGES: dict[str, tuple[str, str]] = {
    "onboarding_welcome_organic": (
        "Welcome! Let's solve the problem you came for",
        "You found us looking for a solution: here is the fastest way to solve it.",
    ),
    "onboarding_welcome_paid": (
        "Welcome! Here is what we promised",
        "Thanks for signing up from our campaign: here is how to get what it promised.",
    ),
    "onboarding_welcome_referral": (
        "Welcome! A friend thought you'd love this",
        "You were referred by a happy customer; teams like yours get value in days.",
    ),
    "tour_analyst": ("Your tour: data visualization", "Start with charts and data exploration."),
    "tour_manager": ("Your tour: dashboards and reporting", "Start with dashboards and reports."),
    "tour_admin": ("Your tour: setup and permissions", "Start with workspace setup and roles."),
    "tour_general": ("Your product tour", "Take the two-minute tour of the essentials."),
    "ready_for_step_2": ("Ready for step 2?", "You finished the core workflow. Ready for step 2?"),
    "first_analysis_push": (
        "Complete your first analysis in 5 minutes",
        "Complete your first analysis in 5 minutes.",
    ),
    "onboarding_high_engagement": (
        "You're Doing Great! Here's What's Next",
        "You're off to a great start. Join our advanced webinar to go further.",
    ),
    "advanced_webinar_invite": ("Advanced webinar invite", "Join the advanced webinar this week."),
    "onboarding_medium_engagement": (
        "Quick Tips to Get More Value",
        "A few quick tips to get more value from your account.",
    ),
    "tutorial_video_prompt": ("Watch the tutorial", "This short video shows the core workflow."),
    "onboarding_low_engagement": (
        "Need Help Getting Started?",
        "Schedule a 1:1 onboarding call with your customer success manager.",
    ),
    "csm_help_push": ("We're here to help!", "We're here to help! Book a quick call."),
    "feature_spotlight": ("Feature Spotlight", "Users like you used this feature next."),
    "feature_tooltip": ("Try this feature", "Here is the feature we recommend next."),
    "officially_activated": (
        "You're Officially Activated!",
        "You completed the core workflow. Congratulations!",
    ),
    "review_request": ("Enjoying it?", "Would you leave us a review or a testimonial?"),
    "upgrade_offer": (
        "Ready to unlock advanced features?",
        "For a limited time, upgrade at a discount and unlock advanced features.",
    ),
    "upgrade_cta": ("Upgrade", "Unlock this feature by upgrading your plan."),
    "feature_education": ("Get more from your plan", "Three features you have not tried yet."),
    "power_user": ("You're a Power User!", "You are among our most active customers."),
    "advisory_board_invite": (
        "Join our customer advisory board",
        "We'd love your input: join our customer advisory board.",
    ),
    "account_manager_outreach": (
        "A note from your account manager",
        "I want to make sure you're getting the most value; can we talk this week?",
    ),
    "usage_tutorial_spotlight": (
        "A tutorial and a feature spotlight for you",
        "A short tutorial and the feature teams like yours rely on most.",
    ),
    "support_knowledge_base": (
        "Your support case is escalated",
        "A senior engineer has your case; meanwhile these articles may help.",
    ),
    "price_special_offer": ("A special offer for you", "We have a special offer for your plan."),
    "value_check_in": ("Getting the most value?", "Here is how to get more from your account."),
    "churn_urgent_follow_up": (
        "Can we help?",
        "We haven't heard from you: reply or open the app and we'll help right away.",
    ),
    "positive_reinforcement": (
        "Great to see you back in action",
        "Your usage is up: here is what to try next.",
    ),
    "we_value_your_business": (
        "We value your business",
        "We value your business: here is a retention offer for you.",
    ),
    "churn_self_service": (
        "Resources to get more from your account",
        "Our self-service guides answer the questions customers like you ask most:"
        " https://example.com/help",
    ),
    "retention_offer_discount_20_percent": (
        "We value your business: 20% off for 3 months",
        "We value your business: take 20% off your plan for the next 3 months.",
    ),
    "retention_offer_free_upgrade": (
        "We value your business: a free upgrade for 3 months",
        "We value your business: enjoy the next plan up, free, for 3 months.",
    ),
    "retention_offer_premium_support": (
        "We value your business: a month of premium support",
        "We value your business: premium support is yours for the next month.",
    ),
    "retention_offer_custom_training": (
        "We value your business: custom training for your team",
        "We value your business: book a custom training session for your team, on us.",
    ),
    "executive_outreach": (
        "A note from our VP of Customer Success",
        "What would it take to keep you? We can offer a significant discount or a free upgrade"
        " for 3 months.",
    ),
    "winback_survey": ("What would it take to keep you?", "Tell us in a one-question survey."),
    "weekly_check_in": ("Your weekly check-in", "Here is your week in review and one tip."),
    "glad_still_with_us": ("Glad You're Still With Us", "Thanks for staying with us."),
    "trial_welcome": ("Welcome to your trial", "Let's set up your trial around your goals."),
    "trial_crushing_it": (
        "You're crushing it! Here's what to explore next",
        "You're crushing it! Here's what to explore next.",
    ),
    "trial_getting_started_tips": (
        "Getting started tips + quick-win tutorial",
        "Getting started tips and a quick-win tutorial.",
    ),
    "trial_convert_now": (
        "Loving it? Convert now and save 20%",
        "Loving it? Convert now and save 20%.",
    ),
    "trial_upgrade_cta": ("Upgrade with a discount", "A limited-time discount on your upgrade."),
    "trial_more_value": (
        "How can we help you get more value?",
        "Book a live demo with a sales engineer.",
    ),
    "trial_live_demo_offer": ("Live demo", "Book a live demo with a sales engineer."),
    "trial_urgency": (
        "Only 4 days left in your trial",
        "See the features you used and the ROI you gained; upgrade in one click.",
    ),
    "trial_last_chance": (
        "Last chance - extend your trial or convert",
        "Your trial ends soon: convert now, or extend your trial.",
    ),
    "trial_extension_offer": (
        "Extend your trial by 7 days",
        "You've been busy: extend your trial by 7 days.",
    ),
    "act_welcome_getting_started": (
        "Welcome + Getting Started Guide",
        "Welcome! Here is your getting started guide.",
    ),
    "act_feature_tip_carousel": ("3 feature tips", "Three tips for the features you use."),
    "act_advanced_features": (
        "Advanced features you'll love",
        "Advanced features you'll love.",
    ),
    "act_join_community": ("Join our community", "Join our community of practitioners."),
    "act_case_study": ("How a similar company succeeded", "A case study from a similar company."),
    "act_csat_survey": ("How's it going?", "How satisfied are you, 0 to 10?"),
    "act_referral_invite": (
        "Invite a friend and get an early reward",
        "Join our referral program and get an early reward.",
    ),
    "act_help_offer": (
        "Let us help",
        "We'd like to help personally: your customer success manager will reach out.",
    ),
    "act_getting_the_most": ("Getting the most out of the product", "Five ways to get more value."),
    "act_guided_tour": ("Guided tour", "A guided tour of the key features."),
    "act_video_tutorial": ("Video tutorial: top 3 use cases", "Watch the top 3 use cases."),
    "act_team_does_this": (
        "Teams like yours do this",
        "Teams like yours use this feature every day.",
    ),
    "act_common_mistakes": (
        "Common mistakes (and how to avoid them)",
        "Common mistakes and how to avoid them.",
    ),
    "act_onboarding_call_offer": (
        "Free 1-on-1 onboarding call",
        "Reply YES for a free 1-on-1 onboarding call.",
    ),
    "act_product_update": ("Product update", "What's new, and one feature highlight for you."),
    "act_we_miss_you": ("We miss you", "We miss you: here is a win-back offer."),
    "nurture_value_tips": ("Tips to get more value", "This month's tips for active teams."),
    "nurture_new_feature_highlight": ("New feature", "A new feature you might like."),
    "power_user_tips": ("Power user tips", "Shortcuts and automations for power users."),
    "at_risk_need_help": (
        "Need a hand?",
        "We noticed you haven't been around; your success manager will call you.",
    ),
    "winback_miss_you": ("We miss you", "Here is what you can still do with us."),
    "winback_whats_new": ("What's new since you left", "The latest features and improvements."),
    "winback_offer": ("Come back with an offer", "A limited-time offer to come back."),
    "celebration": ("Welcome to the paid plan!", "Thank you for subscribing!"),
    "celebration_badge": ("You're in!", "Your account is now on a paid plan."),
}
